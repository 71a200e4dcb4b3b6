extern alias gateway;
extern alias testing;

using System.Text;
using Bakong.Cli.Payments;
using Bakong.Grpc.Payments.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Time.Testing;
using testing::Bakong.Gateway.Tests;

namespace Bakong.Cli.Tests.Payments;

/// <summary>
/// The shared in-process gateway (<c>GatewayFactory</c> of tests/Bakong.Testing: Sandbox mode, its own temp
/// <c>Storage:Path</c>, a <see cref="FakeTimeProvider"/>) with the <c>bakong</c> client commands routed into it.
/// </summary>
public sealed class CliGateway : IAsyncDisposable
{
    /// <summary>How long a test waits for something before it fails instead of hanging.</summary>
    public static readonly TimeSpan Timeout = GatewayFactory.Timeout;

    private readonly GatewayFactory _host;
    private GrpcChannel? _channel;

    /// <summary>Set by <see cref="StopAsync"/>: the directory it kept for the test is removed on dispose, unless the test asked to keep it.</summary>
    private bool _removeStorageOnDispose;

    /// <param name="ownStorage">
    /// False: no <c>Storage:Path</c>, so the gateway keeps its data where it does by default (in tests, the test
    /// process's own <c>BAKONG_DATA</c> folder).
    /// </param>
    public CliGateway(bool ownStorage = true) => _host = new GatewayFactory { OwnStorage = ownStorage };

    public FakeTimeProvider Clock => _host.Clock;

    /// <summary>Configuration added to the gateway's own (e.g. <c>Auth:Mode</c>); set before the first use.</summary>
    public Dictionary<string, string?> Settings => _host.Settings;

    /// <summary>
    /// Environment variables the commands run here see (<c>BAKONG_KEY</c>, …) over the process's, without changing the
    /// process's (other tests run beside these).
    /// </summary>
    public Dictionary<string, string?> Variables { get; } = new(StringComparer.Ordinal);

    /// <summary>The folder of its own <c>Storage:Path</c>: its payments, token store and call audit.</summary>
    public string DataDirectory => _host.StorageDirectory;

    public IServiceProvider Services => _host.Services;

    public TestServer Server => _host.Server;

    /// <summary>The shared host itself: its recording store, sandbox and clock, for tests that drive load through it.</summary>
    internal GatewayFactory Host => _host;

    /// <summary>The CLI's own client stubs (the shared host's are aliased away in this project) on the host's channel.</summary>
    internal PaymentService.PaymentServiceClient Payments => new(_channel ??= GrpcChannel.ForAddress(
        Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() }));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The same gateway with more host configuration (a new host of its own, as WebApplicationFactory makes it).</summary>
    public WebApplicationFactory<gateway::Program> WithWebHostBuilder(Action<IWebHostBuilder> configuration) =>
        _host.WithWebHostBuilder(configuration);

    /// <summary>Starts <c>bakong ARGS --server ...</c> against this gateway; the run's output can be awaited line by line.</summary>
    public PaymentsRun Launch(CancellationToken cancellationToken, params string[] args) => Launch(Clock, cancellationToken, args);

    /// <summary>The same, with the command on its own clock (<c>payments load --rate</c> paces its calls by it).</summary>
    public PaymentsRun Launch(TimeProvider commandClock, CancellationToken cancellationToken, params string[] args) =>
        Launch(commandClock, handler => handler, cancellationToken, args);

    /// <summary>
    /// The same, with every HTTP request of the command (each channel's, each HttpClient's) going through the handler
    /// <paramref name="wrap"/> makes around the in-process gateway's: a test's way to fail some of them.
    /// </summary>
    public PaymentsRun Launch(TimeProvider commandClock, Func<HttpMessageHandler, HttpMessageHandler> wrap, CancellationToken cancellationToken, params string[] args)
    {
        var output = new LineWriter();
        var error = new LineWriter();
        var context = new CliContext(commandClock, TextReader.Null, output, error) { Variables = Variable };
        var server = Server; // starts the host
        return new PaymentsRun(RunAsync(), output, error);

        async Task<int> RunAsync()
        {
            GatewayClient.HandlerOverride.Value = () => wrap(server.CreateHandler());
            return await CliApp.RunAsync([.. args, "--server", server.BaseAddress.ToString()], context, cancellationToken);
        }
    }

    private string? Variable(string name) => Variables.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);

    /// <summary>Runs <c>bakong ARGS</c> to its end against this gateway.</summary>
    public async Task<CliRun> RunAsync(params string[] args)
    {
        var run = Launch(Ct, args);
        var exitCode = await run.Exit.WaitAsync(Timeout, Ct);
        return new CliRun(exitCode, run.Output.ToString(), run.Error.ToString());
    }

    /// <summary>
    /// Runs <c>bakong ARGS</c> without <c>--server</c>: the command decides for itself whether a gateway runs (the
    /// default address), and whatever it sends reaches this in-process gateway.
    /// </summary>
    public Task<CliRun> RunWithoutServerAsync(params string[] args) => RunWithInputWithoutServerAsync("", args);

    /// <summary>As <see cref="RunWithoutServerAsync"/>, with <paramref name="stdin"/> as the command's standard input.</summary>
    public async Task<CliRun> RunWithInputWithoutServerAsync(string stdin, params string[] args)
    {
        var output = new LineWriter();
        var error = new LineWriter();
        var server = Server; // starts the host
        var exitCode = await RunAsync().WaitAsync(Timeout, Ct);
        return new CliRun(exitCode, output.ToString(), error.ToString());

        async Task<int> RunAsync()
        {
            GatewayClient.HandlerOverride.Value = server.CreateHandler;
            return await CliApp.RunAsync(args, new CliContext(Clock, new StringReader(stdin), output, error) { Variables = Variable }, Ct);
        }
    }

    /// <summary>The customer pays the QR, through the sandbox's control API.</summary>
    public Task PayAsync(string khqr) => _host.PayAsync(khqr);

    /// <summary>The customer's payment of the QR fails.</summary>
    public Task FailAsync(string khqr) => _host.FailAsync(khqr);

    /// <summary>Moves the clock on and wakes the poller, so every payment due by then is checked now.</summary>
    public void AdvanceAndPoll(TimeSpan by) => _host.AdvanceAndPoll(by);

    /// <summary>Waits until the poller has saved its first check of the payment, as the gateway's own tests pay after it.</summary>
    public Task WaitForFirstCheckAsync(string paymentId) => _host.WaitForFirstCheckAsync(paymentId);

    /// <summary>
    /// Moves the clock to the payment's stored next check time (if it is later) and wakes the poller; nothing when it
    /// has none, because a pass already running found it over (a command that pays as it sees PAID can pay the next
    /// payment before that pass reaches it).
    /// </summary>
    public async Task AdvanceToNextCheckAsync(string paymentId)
    {
        if ((await _host.Store.GetAsync(paymentId, Ct))?.NextCheckTime is { } next)
        {
            _host.AdvanceAndPollTo(next);
        }
    }

    /// <summary>Stops the gateway (its files released, the audit's queue written) and keeps its data directory until dispose.</summary>
    public async Task StopAsync()
    {
        _channel?.Dispose();
        _channel = null;
        _removeStorageOnDispose = !_host.KeepStorage;
        _host.KeepStorage = true;
        await _host.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        await _host.DisposeAsync();
        if (_removeStorageOnDispose && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
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
