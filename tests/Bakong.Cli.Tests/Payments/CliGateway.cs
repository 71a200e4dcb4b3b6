extern alias gateway;

using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using Bakong.Cli.Payments;
using Bakong.Payments;
using Bakong.Payments.Polling;
using Bakong.Grpc.Payments.V1;
using Bakong.Sandbox;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Cli.Tests.Payments;

/// <summary>
/// The gateway as <c>dotnet run</c> starts it (Sandbox mode), hosted in-process on a TestServer with its own temp
/// <c>Storage:Path</c> and a <see cref="FakeTimeProvider"/>; the <c>bakong</c> client commands are routed into it.
/// (The same set-up as tests/Bakong.Gateway.Tests/GatewayFactory.cs.)
/// </summary>
public sealed class CliGateway : WebApplicationFactory<gateway::Program>
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>How long a test waits for something before it fails instead of hanging.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bakong-cli-gateway-" + Guid.NewGuid().ToString("N"));
    private readonly bool _ownStorage;
    private readonly CheckRecorder _checks = new();
    private readonly Bakong.Gateway.Tests.HostDisposalSignal _disposal = new();
    private GrpcChannel? _channel;

    /// <param name="ownStorage">
    /// False: no <c>Storage:Path</c>, so the gateway keeps its data where it does by default (in tests, the test
    /// process's own <c>BAKONG_DATA</c> folder).
    /// </param>
    public CliGateway(bool ownStorage = true) => _ownStorage = ownStorage;

    public FakeTimeProvider Clock { get; } = new(Start);

    /// <summary>Configuration added to the gateway's own (e.g. <c>Auth:Mode</c>); set before the first use.</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The folder of its own <c>Storage:Path</c>: its payments, token store and call audit.</summary>
    public string DataDirectory => _directory;

    internal PaymentService.PaymentServiceClient Payments => new(_channel ??= GrpcChannel.ForAddress(
        Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() }));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts <c>bakong ARGS --server ...</c> against this gateway; the run's output can be awaited line by line.</summary>
    public PaymentsRun Launch(CancellationToken cancellationToken, params string[] args) => Launch(Clock, cancellationToken, args);

    /// <summary>The same, with the command on its own clock (<c>payments load --rate</c> paces its calls by it).</summary>
    public PaymentsRun Launch(TimeProvider commandClock, CancellationToken cancellationToken, params string[] args)
    {
        var output = new LineWriter();
        var error = new LineWriter();
        var context = new CliContext(commandClock, TextReader.Null, output, error);
        var server = Server; // starts the host
        return new PaymentsRun(RunAsync(), output, error);

        async Task<int> RunAsync()
        {
            GatewayClient.HandlerOverride.Value = server.CreateHandler;
            return await CliApp.RunAsync([.. args, "--server", server.BaseAddress.ToString()], context, cancellationToken);
        }
    }

    /// <summary>Runs <c>bakong ARGS</c> to its end against this gateway.</summary>
    public async Task<CliRun> RunAsync(params string[] args)
    {
        var run = Launch(Ct, args);
        var exitCode = await run.Exit.WaitAsync(Timeout, Ct);
        return new CliRun(exitCode, run.Output.ToString(), run.Error.ToString());
    }

    /// <summary>The customer pays the QR, through the sandbox's control API.</summary>
    public Task PayAsync(string khqr) => ControlAsync("/sandbox/control/pay", new SandboxPayRequest { Qr = khqr });

    /// <summary>The customer's payment of the QR fails.</summary>
    public Task FailAsync(string khqr) => ControlAsync("/sandbox/control/fail", new SandboxFailRequest { Qr = khqr });

    /// <summary>Moves the clock on and wakes the poller, so every payment due by then is checked now.</summary>
    public void AdvanceAndPoll(TimeSpan by)
    {
        Clock.Advance(by);
        Services.GetRequiredService<IPollerSignal>().Notify();
    }

    /// <summary>
    /// Waits until the poller has saved its first check of the payment, as the gateway's own tests pay after it. A
    /// check that finds nothing is bookkeeping, which a watch does not show, so this listens to the saves themselves.
    /// </summary>
    public Task WaitForFirstCheckAsync(string paymentId) => _checks.FirstCheckAsync(paymentId).WaitAsync(Timeout, Ct);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (_ownStorage)
        {
            builder.UseSetting("Storage:Path", Path.Combine(_directory, "bakong.db"));
        }

        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders());
        builder.ConfigureTestServices(services =>
        {
            _disposal.Register(services);
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<IPaymentChangeSink>(_checks);
            services.ConfigureAll<HttpClientFactoryOptions>(o =>
                o.HttpMessageHandlerBuilderActions.Add(b => b.PrimaryHandler = new Bakong.Gateway.Tests.TestServerHandler(b.Services)));
        });
    }

    public override async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        await base.DisposeAsync();
        await _disposal.WaitAsync(Timeout);
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private async Task ControlAsync<T>(string path, T body)
    {
        using var http = CreateClient();
        using var response = await http.PostAsJsonAsync(path, body, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Told about every save, as every change sink is: signals each payment's first saved poller check (or its end).</summary>
    private sealed class CheckRecorder : IPaymentChangeSink
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _checked = new(StringComparer.Ordinal);

        public Task FirstCheckAsync(string paymentId) => Signal(paymentId).Task;

        public void Saved(Bakong.Payments.Payment payment, IReadOnlyList<PaymentEvent> events)
        {
            if (payment.CheckCount > 0 || payment.State != PaymentState.Pending)
            {
                Signal(payment.Id).TrySetResult();
            }
        }

        private TaskCompletionSource Signal(string paymentId) =>
            _checked.GetOrAdd(paymentId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}

/// <summary>A <c>bakong</c> run in progress.</summary>
public sealed record PaymentsRun(Task<int> Exit, LineWriter Output, LineWriter Error)
{
    public async Task<int> ExitCodeAsync() => await Exit.WaitAsync(CliGateway.Timeout, TestContext.Current.CancellationToken);
}

/// <summary>A text writer whose lines a test can await as the command writes them.</summary>
public sealed class LineWriter : TextWriter
{
    private readonly Lock _gate = new();
    private readonly StringBuilder _all = new();
    private readonly StringBuilder _line = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
        {
            _all.Append(value);
            if (value != '\n')
            {
                _line.Append(value);
                return;
            }

            var line = _line.ToString();
            _line.Clear();
            _lines.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(line);
            }
        }
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? "")
        {
            Write(c);
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    /// <summary>The first line (written so far or later) that matches.</summary>
    public Task<string> LineAsync(Func<string, bool> match)
    {
        lock (_gate)
        {
            var written = _lines.FirstOrDefault(match);
            if (written is not null)
            {
                return Task.FromResult(written);
            }

            var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, found));
            return found.Task.WaitAsync(CliGateway.Timeout, TestContext.Current.CancellationToken);
        }
    }

    public Task<string> LineAsync(string contains) => LineAsync(l => l.Contains(contains, StringComparison.Ordinal));

    public override string ToString()
    {
        lock (_gate)
        {
            return _all.ToString();
        }
    }
}
