using System.Net.Http.Json;
using Bakong.Payments.Polling;
using Bakong.Payments.V1;
using Bakong.Sandbox;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Gateway.Tests;

/// <summary>
/// The gateway as <c>dotnet run</c> starts it (Sandbox mode, the simulated Bakong in-process under <c>/sandbox</c>),
/// hosted on a TestServer: its own temp <c>Storage:Path</c>, a <see cref="FakeTimeProvider"/> for every clock, and
/// every outgoing HttpClient (the Bakong client calling <c>&lt;Web&gt;/sandbox/</c>) routed back into the TestServer.
/// </summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>How long a test waits for a message before it fails instead of hanging.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bakong-gateway-" + Guid.NewGuid().ToString("N"));
    private GrpcChannel? _channel;

    public FakeTimeProvider Clock { get; } = new(Start);

    public string StoragePath => Path.Combine(_directory, "bakong.db");

    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(
        Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });

    public PaymentService.PaymentServiceClient Payments => new(Channel);

    public SandboxState Sandbox => Services.GetRequiredService<SandboxState>();

    /// <summary>More host configuration for one test (settings, services), applied after the defaults above.</summary>
    public Action<IWebHostBuilder>? Configure { get; init; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The customer pays the QR, through the sandbox's control API on the Web endpoint.</summary>
    public async Task PayAsync(string khqr)
    {
        using var http = CreateClient();
        using var response = await http.PostAsJsonAsync("/sandbox/control/pay", new SandboxPayRequest { Qr = khqr }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Moves the clock on and wakes the poller, so every payment due by then is checked now.</summary>
    public void AdvanceAndPoll(TimeSpan by)
    {
        Clock.Advance(by);
        Services.GetRequiredService<IPollerSignal>().Notify();
    }

    /// <summary>Creates a payment, has the customer pay it after the poller's first check, and returns it PAID.</summary>
    public async Task<Payment> CreatePaidAsync(string requestId)
    {
        var created = (await Payments.CreatePaymentAsync(Requests.Create(requestId), cancellationToken: Ct)).Payment;
        using var watch = Payments.WatchPayment(new WatchPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);
        var latest = await NextAsync(watch);

        // Version 2 is the poller's first check (not found yet): pay after it, so the payment is settled by a later one.
        while (latest.Version < 2 && latest.State == Payment.Types.State.Pending)
        {
            latest = await NextAsync(watch);
        }

        await PayAsync(created.Khqr);
        AdvanceAndPoll(TimeSpan.FromSeconds(2));
        while (latest.State == Payment.Types.State.Pending)
        {
            latest = await NextAsync(watch);
        }

        return latest;
    }

    /// <summary>The next message of a watch, or a failure after <see cref="Timeout"/>.</summary>
    public static async Task<Payment> NextAsync(AsyncServerStreamingCall<WatchPaymentResponse> call)
    {
        Assert.True(await call.ResponseStream.MoveNext(Ct).WaitAsync(Timeout, Ct), "the watch ended");
        return call.ResponseStream.Current.Payment;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:Path", StoragePath);
        builder.ConfigureLogging(logging => logging.ClearProviders());
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.ConfigureAll<HttpClientFactoryOptions>(o =>
                o.HttpMessageHandlerBuilderActions.Add(b => b.PrimaryHandler = new TestServerHandler(b.Services)));
        });
        Configure?.Invoke(builder);
    }

    public override async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        await base.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Sends into the TestServer, resolved at the first request (the server starts after the clients are made).</summary>
    private sealed class TestServerHandler(IServiceProvider services) : HttpMessageHandler
    {
        private HttpMessageInvoker? _inner;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _inner ??= new HttpMessageInvoker(((TestServer)services.GetRequiredService<IServer>()).CreateHandler());
            return _inner.SendAsync(request, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

internal static class Requests
{
    public static CreatePaymentRequest Create(string requestId, long riel = 5000, string terminal = "till-1") => new()
    {
        RequestId = requestId,
        TerminalId = terminal,
        Amount = new Money { CurrencyCode = "KHR", Units = riel },
        OrderRef = "order-" + requestId,
    };
}
