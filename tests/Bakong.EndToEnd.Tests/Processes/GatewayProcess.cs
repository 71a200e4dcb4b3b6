using Bakong.Grpc.Payments.V1;
using Grpc.Net.Client;

namespace Bakong.EndToEnd.Tests.Processes;

/// <summary>
/// The gateway as an operator runs it (<c>dotnet Bakong.Gateway.dll</c> from its build folder) on two free loopback
/// ports. It can be killed (SIGKILL), stopped (SIGTERM, as a service manager does) and started again on the same ports
/// and data, like a gateway restart in a shop.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    /// <summary>How long the gateway may take to start or stop before the test fails instead of hanging.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, string> _settings;
    private readonly bool _ownsData;
    private readonly string? _workingDirectory;
    private ChildProcess? _process;
    private GrpcChannel? _channel;

    private GatewayProcess(IReadOnlyDictionary<string, string> settings, string? workingDirectory)
    {
        _workingDirectory = workingDirectory;
        GrpcUrl = new Uri("http://127.0.0.1:" + FreePort.Next());
        WebUrl = new Uri("http://127.0.0.1:" + FreePort.Next());
        _ownsData = !settings.ContainsKey("Storage__Path");
        DataDirectory = _ownsData
            ? Path.Combine(Path.GetTempPath(), "bakong-e2e-" + Guid.NewGuid().ToString("N"))
            : Path.GetDirectoryName(settings["Storage__Path"])!;
        _settings = new Dictionary<string, string>(settings)
        {
            ["Kestrel__Endpoints__Grpc__Url"] = GrpcUrl.AbsoluteUri.TrimEnd('/'),
            ["Kestrel__Endpoints__Web__Url"] = WebUrl.AbsoluteUri.TrimEnd('/'),
            ["ASPNETCORE_URLS"] = "",
        };
        _settings.TryAdd("Storage__Path", Path.Combine(DataDirectory, "bakong.db"));
    }

    public Uri GrpcUrl { get; }

    public Uri WebUrl { get; }

    /// <summary>The folder of <c>Storage:Path</c> (a temp folder of its own unless the settings give one).</summary>
    public string DataDirectory { get; }

    /// <summary>The API key every call on <see cref="Payments"/> carries (a gateway with <c>Auth:Mode</c> ApiKeys); set before the first call.</summary>
    public string? ApiKey { get; set; }

    public PaymentService.PaymentServiceClient Payments => new(_channel ??= ApiKey is { } key
        ? GrpcChannel.ForAddress(GrpcUrl, new GrpcChannelOptions
        {
            // A header on the HTTP request, as bakong sends it: gRPC call credentials are refused on plaintext http.
            HttpHandler = new BearerKeyHandler(key) { InnerHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } },
            DisposeHttpClient = true,
        })
        : GrpcChannel.ForAddress(GrpcUrl));

    /// <summary>What the gateway printed so far (this run), for failure messages.</summary>
    public string Output => _process?.Output ?? string.Empty;

    /// <summary>Starts a gateway (tried again on new ports if another process took one meanwhile).</summary>
    /// <param name="settings">Configuration as environment variables, e.g. <c>Polling__ExpiryGrace</c>.</param>
    public static Task<GatewayProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null, CancellationToken cancellationToken = default) =>
        StartAsync(settings, workingDirectory: null, cancellationToken);

    /// <summary>Starts a gateway from <paramref name="workingDirectory"/> (its build folder when null), as a service manager starts it from its own.</summary>
    public static async Task<GatewayProcess> StartAsync(IReadOnlyDictionary<string, string>? settings, string? workingDirectory, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var gateway = new GatewayProcess(settings ?? new Dictionary<string, string>(), workingDirectory);
            try
            {
                await gateway.StartAgainAsync(cancellationToken);
                return gateway;
            }
            catch (InvalidOperationException) when (attempt < 3 && gateway.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await gateway.DisposeAsync();
            }
        }
    }

    /// <summary>Starts the process (again) on the same ports and data; returns once it says it has started.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(DataDirectory);
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _process = ChildProcess.Start(Built.Gateway, [], _settings, _workingDirectory);
        await _process.WaitForLineAsync(l => l.Contains("Application started", StringComparison.Ordinal), Timeout, cancellationToken);
    }

    /// <summary>The next line of the running process's output (from the first not yet read) that <paramref name="match"/> accepts.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, CancellationToken cancellationToken = default) =>
        (_process ?? throw new InvalidOperationException("The gateway is not running.")).WaitForLineAsync(match, Timeout, cancellationToken);

    /// <summary>Stops the process as a service manager does (SIGTERM) and waits for it to exit.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) =>
        _process?.TerminateAsync(Timeout, cancellationToken) ?? Task.CompletedTask;

    /// <summary>kill -9 while it works: no shutdown hook, no checkpoint, no flush.</summary>
    public Task KillAsync(CancellationToken cancellationToken = default) =>
        _process?.KillAsync(cancellationToken) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        if (_ownsData && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private sealed class BearerKeyHandler(string key) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
