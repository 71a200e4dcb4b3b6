using System.Net.Http.Json;
using Bakong.Gateway.Tests.Support;
using Bakong.Payments.Polling;
using Bakong.Payments.Storage;
using Bakong.Grpc.Payments.V1;
using Bakong.Sandbox;
using Bakong.Testing;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Gateway.Tests;

/// <summary>
/// The gateway as <c>dotnet run</c> starts it (Sandbox mode, the simulated Bakong in-process under <c>/sandbox</c>),
/// hosted on a TestServer: its own temp <c>Storage:Path</c>, a <see cref="FakeTimeProvider"/> for every clock, and
/// every outgoing HttpClient (the Bakong client calling <c>&lt;Web&gt;/sandbox/</c>) routed back into the TestServer.
/// A creation wakes the poller (<see cref="PollOnCreation"/>), standing in for the tick that the fake clock never reaches.
/// The one in-process gateway host of the gateway and CLI tests (the CLI's <c>CliGateway</c> wraps it).
/// </summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly string[] s_liftedLimits =
        ["Limits:CreatePaymentsPerMinute", "Limits:CreatePaymentBurst", "Limits:MaxPendingPerTerminal", "Limits:MaxWatchesPerCaller"];

    /// <summary>How long a test waits for a message before it fails instead of hanging.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly HostDisposalSignal _disposal = new();
    private GrpcChannel? _channel;

    public GatewayFactory()
        : this(Path.Combine(Path.GetTempPath(), "bakong-gateway-" + Guid.NewGuid().ToString("N")), Start)
    {
    }

    /// <summary>More host configuration for one test class, applied after the factory's own (e.g. fake logging).</summary>
    public Action<IWebHostBuilder>? ConfigureHost { get; init; }

    /// <summary>A gateway on the storage directory another one used (a restart), its clock at <paramref name="now"/>.</summary>
    public GatewayFactory(string storageDirectory, DateTimeOffset now)
    {
        StorageDirectory = storageDirectory;
        Clock = new FakeTimeProvider(now);

        // The per-caller limits are lifted: on a TestServer every call comes from one caller, on a clock that moves
        // only when a test moves it. The tests of the limits set their own (LimitsTests).
        foreach (var limit in s_liftedLimits)
        {
            Settings[limit] = "1000000";
        }
        Webhooks = new WebhookReceiver(Clock);
    }

    public FakeTimeProvider Clock { get; }

    /// <summary>Holds <see cref="StoragePath"/> and the token and audit databases beside it; deleted on dispose unless <see cref="KeepStorage"/>.</summary>
    public string StorageDirectory { get; }

    public string StoragePath => Path.Combine(StorageDirectory, "bakong.db");

    /// <summary>
    /// False: no <c>Storage:Path</c>, so the gateway keeps its data where it does by default (in tests, the test
    /// process's own <c>BAKONG_DATA</c> folder).
    /// </summary>
    public bool OwnStorage { get; init; } = true;

    /// <summary>Leave <see cref="StorageDirectory"/> on dispose, for a gateway started on it next.</summary>
    public bool KeepStorage { get; set; }

    /// <summary>Configuration added to the gateway's own (e.g. <c>Polling:*</c>, <c>Bakong:OpenApi:*</c>); set before the first use.</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Where the <c>Bakong.Webhooks</c> client's requests go; only used once <see cref="EnableWebhooks"/> configured a URL.</summary>
    public WebhookReceiver Webhooks { get; }

    public LogCapture Logs { get; } = new();

    /// <summary>The gateway's real store, recording each write it accepts (every component uses this one).</summary>
    internal RecordingPaymentStore Store => (RecordingPaymentStore)Services.GetRequiredService<IPaymentStore>();

    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(
        Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });

    public PaymentService.PaymentServiceClient Payments => new(Channel);

    public SandboxState Sandbox => Services.GetRequiredService<SandboxState>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The customer pays the QR, through the sandbox's control API on the Web endpoint.</summary>
    public async Task PayAsync(string khqr)
    {
        using var http = CreateClient();
        using var response = await http.PostAsJsonAsync("/sandbox/control/pay", new SandboxPayRequest { Qr = khqr }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>A sandbox control call (<c>/sandbox/control/...</c>) that must succeed.</summary>
    public async Task ControlAsync(HttpMethod method, string path, object? body = null)
    {
        using var http = CreateClient();
        using var request = new HttpRequestMessage(method, "/sandbox/control/" + path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await http.SendAsync(request, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>The customer pays, with whatever <paramref name="request"/> overrides (a wrong amount, a delay).</summary>
    public Task PayAsync(SandboxPayRequest request) => ControlAsync(HttpMethod.Post, "pay", request);

    /// <summary>The customer's transfer fails: Bakong answers FAILED for the QR from now on.</summary>
    public Task FailAsync(string khqr) => ControlAsync(HttpMethod.Post, "fail", new SandboxFailRequest { Qr = khqr });

    /// <summary>Replaces the sandbox's faults (<c>PUT control/faults</c>), e.g. <c>new { serverErrorRate = 1.0 }</c>.</summary>
    public Task SetFaultsAsync(object faults) => ControlAsync(HttpMethod.Put, "faults", faults);

    public Task ClearFaultsAsync() => ControlAsync(HttpMethod.Delete, "faults");

    /// <summary>Turns webhook delivery on, to <see cref="Webhooks"/>; call before the first use.</summary>
    public void EnableWebhooks()
    {
        Settings["Webhooks:Url"] = WebhookReceiver.Url;
        Settings["Webhooks:Secret"] = WebhookReceiver.Secret;
    }

    public PaymentWatch Watch(string paymentId, long afterVersion = 0) =>
        new(Payments.WatchPayment(new WatchPaymentRequest { PaymentId = paymentId, AfterVersion = afterVersion }, cancellationToken: Ct));

    public async Task<Payment> CreateAsync(CreatePaymentRequest request) =>
        (await Payments.CreatePaymentAsync(request, cancellationToken: Ct)).Payment;

    public async Task<Payment> GetAsync(string paymentId) =>
        (await Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = paymentId }, cancellationToken: Ct)).Payment;

    /// <summary>
    /// Creates a payment, waits until the poller's first check (nothing paid yet) is saved, then watches it: the watch
    /// has shown that checked payment (version 2) as its first message.
    /// </summary>
    public async Task<(Payment Created, PaymentWatch Watch)> CreateCheckedAsync(CreatePaymentRequest request)
    {
        var created = await CreateAsync(request);
        await CheckedAsync(created.PaymentId, checks: 1);
        var watch = Watch(created.PaymentId);
        await watch.NextAsync();
        return (created, watch);
    }

    /// <summary>
    /// The payment as saved once the poller has made <paramref name="checks"/> checks of it. A check that changes
    /// nothing a client sees is bookkeeping, which a watch does not show, so tests wait for it on the store.
    /// </summary>
    internal Task<Bakong.Payments.PaymentSnapshot> CheckedAsync(string paymentId, int checks) =>
        Store.SavedAsync(paymentId, p => p.CheckCount >= checks);

    /// <summary>
    /// Waits until the poller has saved its first check of the payment (or ended it), as the tests pay after it; for
    /// test projects that cannot see <see cref="CheckedAsync"/>'s store types.
    /// </summary>
    public Task WaitForFirstCheckAsync(string paymentId) =>
        Store.SavedAsync(paymentId, p => p.CheckCount > 0 || p.State != Bakong.Payments.PaymentState.Pending);

    /// <summary>Moves the clock to the payment's stored next check time and returns the payment as that check saved it.</summary>
    internal async Task<Bakong.Payments.PaymentSnapshot> CheckNextAsync(string paymentId)
    {
        var stored = await Store.GetAsync(paymentId, Ct) ?? throw new InvalidOperationException("no payment " + paymentId);
        await AdvanceToNextCheckAsync(paymentId);
        return await CheckedAsync(paymentId, stored.CheckCount + 1);
    }

    /// <summary>Moves the clock to <paramref name="time"/> (if it is later) and wakes the poller.</summary>
    public void AdvanceAndPollTo(DateTimeOffset time)
    {
        var by = time - Clock.GetUtcNow();
        AdvanceAndPoll(by > TimeSpan.Zero ? by : TimeSpan.Zero);
    }

    /// <summary>Moves the clock to the payment's stored next check time (if it is later) and wakes the poller.</summary>
    public async Task AdvanceToNextCheckAsync(string paymentId)
    {
        var stored = await Store.GetAsync(paymentId, Ct);
        AdvanceAndPollTo(stored?.NextCheckTime ?? throw new InvalidOperationException("payment " + paymentId + " has no next check"));
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

        // Pay after the poller's first check (not found yet), so the payment is settled by a later one.
        await CheckedAsync(created.PaymentId, checks: 1);
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

    protected override IHost CreateHost(IHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // The disposal signal is created first, so disposed last (HostDisposalSignal); the options are the host's own defaults.
        builder.UseServiceProviderFactory(context => _disposal.ProviderFactory(new ServiceProviderOptions
        {
            ValidateScopes = context.HostingEnvironment.IsDevelopment(),
            ValidateOnBuild = context.HostingEnvironment.IsDevelopment(),
        }));
        IHost host;
        try
        {
            host = base.CreateHost(builder);
        }
        catch
        {
            // A host that did not start is disposed by nobody: nothing to wait for.
            _disposal.Abandon();
            throw;
        }

        return _disposal.Created ? host : throw new InvalidOperationException("The host's services were not built by HostDisposalSignal's factory.");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (OwnStorage)
        {
            builder.UseSetting("Storage:Path", StoragePath);
        }

        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders().AddProvider(Logs));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);

            // Whichever store the gateway registered (LiteDB, or PostgreSQL with Storage:Provider), recorded.
            var store = services.Last(d => d.ServiceType == typeof(IPaymentStore)).ImplementationFactory
                ?? throw new InvalidOperationException("The gateway's IPaymentStore is registered without a factory.");
            services.AddSingleton<IPaymentStore>(sp => new RecordingPaymentStore((IPaymentStore)store(sp)));
            services.AddSingleton<Bakong.Payments.IPaymentChangeSink, PollOnCreation>();
            // The Telegram client keeps its own handler: its tests point it at a fake Bot API on loopback
            // (Bakong.Testing.Telegram.FakeBotApi), a real HTTP call whose logs and traces they search for the token.
            services.ConfigureAll<HttpClientFactoryOptions>(o => o.HttpMessageHandlerBuilderActions.Add(b => b.PrimaryHandler =
                b.Name == WebhookClientName ? new WebhookHandler(Webhooks)
                : b.Name == TelegramClientName ? b.PrimaryHandler
                : new TestServerHandler(b.Services, b.PrimaryHandler)));
        });
        ConfigureHost?.Invoke(builder);
    }

    public override async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        await base.DisposeAsync();

        // The entry point's RunAsync disposes the host too, on its own thread; whichever of the two comes second
        // returns at once. Wait for the disposal itself, so the store's lock and the files are released.
        await _disposal.WaitAsync(Timeout);

        if (!KeepStorage && Directory.Exists(StorageDirectory))
        {
            Directory.Delete(StorageDirectory, recursive: true);
        }
    }

    /// <summary>The IHttpClientFactory name the webhook dispatcher sends with (<c>WebhookSender.HttpClientName</c>).</summary>
    private const string WebhookClientName = "Bakong.Webhooks";

    /// <summary>The IHttpClientFactory name of the Telegram announcements (<c>TelegramSender.HttpClientName</c>).</summary>
    private const string TelegramClientName = "Bakong.Telegram";

    /// <summary>Hands webhook POSTs to the test's receiver; one per handler the factory builds, the receiver shared.</summary>
    private sealed class WebhookHandler(WebhookReceiver receiver) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            receiver.ReceiveAsync(request, cancellationToken);
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
