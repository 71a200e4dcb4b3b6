using System.Net;
using System.Text;
using System.Text.Json;
using Bakong.Khqr;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tests.Tokens;
using Bakong.OpenApi.Tokens;
using Bakong.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.OpenApi.Tests.EndToEnd;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that counts the timers created per due time, so a test moves the clock only once
/// the code it wants to wake (e.g. the renewal service's <c>Task.Delay</c>) is waiting on it.
/// </summary>
internal sealed class TimerWatchingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TimeSpan, int> _created = [];
    private readonly List<(TimeSpan DueTime, int Count, TaskCompletionSource Signal)> _waiters = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_gate)
        {
            var count = _created[dueTime] = _created.GetValueOrDefault(dueTime) + 1;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].DueTime == dueTime && _waiters[i].Count <= count)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }

        return timer;
    }

    /// <summary>Completes once <paramref name="count"/> timers due after <paramref name="dueTime"/> have been created in all.</summary>
    public Task WaitForTimerAsync(TimeSpan dueTime, int count = 1)
    {
        lock (_gate)
        {
            if (_created.GetValueOrDefault(dueTime) >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((dueTime, count, signal));
            return signal.Task.WaitAsync(SandboxGateway.SignalTimeout, TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>
/// The simulated Bakong on a real 127.0.0.1 port, and a host wired the way the gateway wires the client:
/// <c>AddBakongOpenApiClient</c> (Environment Sandbox, BaseUrl the sandbox), <c>AddBakongTokens</c> and
/// <c>AddBakongCallAudit</c> over temp databases, one <see cref="FakeTimeProvider"/> shared by both, and every log
/// record of the host collected. Real HTTP flows over loopback in real time; only delays and timeouts wait on the
/// fake clock.
/// </summary>
internal sealed class SandboxGateway : IAsyncDisposable
{
    public const string MerchantAccount = TestQrs.MerchantAccount;

    /// <summary>How long a test waits for a signal before it fails instead of hanging.</summary>
    public static readonly TimeSpan SignalTimeout = TimeSpan.FromSeconds(30);

    public static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private bool _hostStarted;

    private SandboxGateway(TimerWatchingTimeProvider time, SandboxServer sandbox, TempDirectory directory, IHost host)
    {
        Time = time;
        Sandbox = sandbox;
        Directory = directory;
        Host = host;
        Control = new HttpClient { BaseAddress = sandbox.BaseUrl };
        Logs = host.Services.GetFakeLogCollector();
    }

    public TimerWatchingTimeProvider Time { get; }

    public SandboxServer Sandbox { get; }

    public SandboxState State => Sandbox.State;

    public TempDirectory Directory { get; }

    public IHost Host { get; }

    /// <summary>A plain HttpClient for the sandbox's control API.</summary>
    public HttpClient Control { get; }

    public FakeLogCollector Logs { get; }

    public IBakongClient Client => Host.Services.GetRequiredService<IBakongClient>();

    public IBakongRegistrationApi Registration => Host.Services.GetRequiredService<IBakongRegistrationApi>();

    public BakongTokenManager Tokens => Host.Services.GetRequiredService<BakongTokenManager>();

    public TokenOnboarding Onboarding => Host.Services.GetRequiredService<TokenOnboarding>();

    public LiteDbCallAudit Audit => Host.Services.GetRequiredService<LiteDbCallAudit>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts the sandbox, then the host (unless <paramref name="startHost"/> is false: call <see cref="StartHostAsync"/>).</summary>
    public static async Task<SandboxGateway> StartAsync(
        Action<BakongOpenApiOptions>? client = null,
        Action<BakongTokenOptions>? tokens = null,
        Action<SandboxOptions>? sandbox = null,
        bool startHost = true)
    {
        var time = new TimerWatchingTimeProvider(Start);
        var server = await TestSandbox.StartAsync(time, sandbox);
        var directory = new TempDirectory();
        try
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddFakeLogging();
            builder.Services.AddSingleton<TimeProvider>(time);
            builder.Services.AddBakongOpenApiClient(o =>
            {
                o.Environment = BakongEnvironment.Sandbox;
                o.BaseUrl = server.BaseUrl;

                // Backoff waits on the fake clock, which nothing advances between attempts: retry at once.
                o.RetryBaseDelay = TimeSpan.Zero;
                client?.Invoke(o);
            });
            builder.Services.AddBakongTokens(o =>
            {
                o.Environment = BakongEnvironment.Sandbox;
                o.DatabasePath = directory.File("tokens.db");
                tokens?.Invoke(o);
            });
            builder.Services.AddBakongCallAudit(o => o.DatabasePath = directory.File("audit.db"));
            var host = builder.Build();
            var gateway = new SandboxGateway(time, server, directory, host);
            if (startHost)
            {
                await gateway.StartHostAsync();
            }

            return gateway;
        }
        catch
        {
            directory.Dispose();
            await server.DisposeAsync();
            throw;
        }
    }

    public async Task StartHostAsync()
    {
        await Host.StartAsync(Ct);
        _hostStarted = true;
    }

    /// <summary>Stops and disposes the host (flushing the audit and closing both databases), leaving the files.</summary>
    public async Task StopHostAsync()
    {
        if (_hostStarted)
        {
            _hostStarted = false;
            await Host.StopAsync(Ct);
        }

        Host.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopHostAsync();
        }
        finally
        {
            Control.Dispose();
            await Sandbox.DisposeAsync();
            Directory.Dispose();
        }
    }

    // ---- Tokens -------------------------------------------------------------------------------------------------

    /// <summary><c>POST control/tokens</c>: a token the sandbox accepts; with an e-mail, renewable.</summary>
    public async Task<SandboxIssuedToken> IssueTokenAsync(string? email = null, TimeSpan? lifetime = null)
    {
        var body = new SandboxTokenRequest { Email = email, LifetimeSeconds = lifetime is { } l ? (long)l.TotalSeconds : null };
        return await ControlAsync<SandboxIssuedToken>(HttpMethod.Post, "control/tokens", body);
    }

    /// <summary>Issues a token for <paramref name="email"/> and sets it in the token manager, as 'bakong token set' does.</summary>
    public async Task<string> UseNewTokenAsync(string? email = "ops@shop.kh", TimeSpan? lifetime = null)
    {
        var issued = await IssueTokenAsync(email, lifetime);
        var set = Onboarding.Set(issued.Token, email);
        Assert.True(set.Succeeded, set.Message);
        return issued.Token;
    }

    public async Task<string?> CurrentTokenAsync() => (await Tokens.GetCurrentAsync(Ct))?.Value;

    /// <summary><c>GET control/mailbox?email=</c>.</summary>
    public Task<IReadOnlyList<SandboxMail>> MailboxAsync(string email) =>
        ControlAsync<IReadOnlyList<SandboxMail>>(HttpMethod.Get, "control/mailbox?email=" + Uri.EscapeDataString(email));

    // ---- QRs and payments ---------------------------------------------------------------------------------------

    public KhqrCode DynamicQr(decimal amount, KhqrCurrency currency = KhqrCurrency.Usd, string account = MerchantAccount) =>
        TestQrs.Dynamic(Time, amount, currency, account);

    public KhqrCode StaticQr(string account = MerchantAccount) => TestQrs.Static(Time, account);

    /// <summary><c>POST control/pay</c>: the customer pays.</summary>
    public Task<SandboxPayment> PayAsync(SandboxPayRequest request) => ControlAsync<SandboxPayment>(HttpMethod.Post, "control/pay", request);

    /// <summary><c>POST control/fail</c>: the customer's payment fails.</summary>
    public Task<SandboxPayment> FailAsync(SandboxFailRequest request) => ControlAsync<SandboxPayment>(HttpMethod.Post, "control/fail", request);

    // ---- Faults -------------------------------------------------------------------------------------------------

    /// <summary><c>PUT control/faults</c>: replaces every fault.</summary>
    public Task<JsonElement> FaultsAsync(object faults) => ControlAsync<JsonElement>(HttpMethod.Put, "control/faults", faults);

    /// <summary><c>DELETE control/faults</c>.</summary>
    public Task<JsonElement> ClearFaultsAsync() => ControlAsync<JsonElement>(HttpMethod.Delete, "control/faults");

    /// <summary>Completes once <paramref name="count"/> requests are held by the sandbox's latency or timeout fault.</summary>
    public Task WaitForHeldRequestsAsync(int count) =>
        State.WaitForHeldRequestsAsync(count, Ct).WaitAsync(SignalTimeout, Ct);

    // ---- Audit, logs, health ------------------------------------------------------------------------------------

    /// <summary>
    /// Every audited attempt so far, by time then attempt number. The fake clock stands still during most tests, so
    /// records of one instant come in no particular order otherwise.
    /// </summary>
    public async Task<IReadOnlyList<BakongCallRecord>> AuditAsync(string? endpoint = null)
    {
        await Audit.FlushAsync(Ct).WaitAsync(SignalTimeout, Ct);
        var records = Audit.Query(Start.AddYears(-1), endpoint is null ? null : "/v1/" + endpoint, limit: 100_000);
        return [.. records.OrderBy(r => r.Time).ThenBy(r => r.Attempt)];
    }

    public int CountLogEvents(string eventName) => Logs.GetSnapshot().Count(r => r.Id.Name == eventName);

    /// <summary>Every log record rendered, with its structured state and exception, to search for secrets.</summary>
    public string AllLogText() => TokenFixture.LogText(Logs);

    public async Task<HealthReportEntry> TokenHealthAsync()
    {
        var report = await Host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "bakong-token", Ct);
        return report.Entries["bakong-token"];
    }

    private Task<T> ControlAsync<T>(HttpMethod method, string path, object? body = null) => Sandbox.ControlAsync<T>(method, path, body);
}
