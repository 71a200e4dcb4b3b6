using Bakong.Payments.V1;
using Grpc.Net.Client;

namespace Bakong.EndToEnd.Tests.Processes;

/// <summary>
/// The gateway as an operator runs it (<c>dotnet Bakong.Gateway.dll</c>), on its own ports and data folder, checking
/// payments with a sandbox that runs elsewhere (<c>Bakong:BaseUrl</c>), so killing the gateway does not lose Bakong.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly GrpcChannel _channel;

    private GatewayProcess(ChildProcess process, Uri grpc)
    {
        _process = process;
        _channel = GrpcChannel.ForAddress(grpc);
        Payments = new PaymentService.PaymentServiceClient(_channel);
    }

    public PaymentService.PaymentServiceClient Payments { get; }

    public string Output => _process.Output;

    /// <summary>Starts a gateway and returns once it says it has started (its store is open and its ports listen).</summary>
    public static async Task<GatewayProcess> StartAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var grpc = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var environment = new Dictionary<string, string>(settings)
        {
            ["Kestrel__Endpoints__Grpc__Url"] = grpc.AbsoluteUri,
            ["Kestrel__Endpoints__Web__Url"] = $"http://127.0.0.1:{FreePort.Next()}",
        };
        var process = ChildProcess.Start(Built.Gateway, [], environment);
        try
        {
            await process.WaitForLineAsync(l => l.Contains("Application started", StringComparison.Ordinal), TimeSpan.FromSeconds(60), cancellationToken);
            return new GatewayProcess(process, grpc);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>kill -9 while it works: no shutdown hook, no checkpoint, no flush.</summary>
    public Task KillAsync(CancellationToken cancellationToken) => _process.KillAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _process.DisposeAsync();
    }
}
