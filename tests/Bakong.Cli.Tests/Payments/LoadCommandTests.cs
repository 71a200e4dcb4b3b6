using System.Text.Json;
using Bakong.Grpc.Payments.V1;

namespace Bakong.Cli.Tests.Payments;

[Collection(nameof(GatewayHostedTests))]
public sealed class LoadCommandTests : IAsyncLifetime
{
    private readonly CliGateway _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Payments_load_creates_new_payments_measures_health_checks_beside_them_and_cancels_the_payments()
    {
        var run = await _gateway.RunAsync("payments", "load", "--count", "12", "--concurrency", "3", "--warm-up", "2", "--json");

        Assert.Equal(0, run.ExitCode);
        var result = Json(Assert.Single(run.OutputLines));
        Assert.Equal(("closed", 3, 5), (result.GetProperty("mode").GetString(), result.GetProperty("concurrency").GetInt32(), result.GetProperty("rounds").GetInt32()));
        Assert.Equal(JsonValueKind.Null, result.GetProperty("rate").ValueKind);
        foreach (var kind in new[] { "create", "health" })
        {
            var calls = result.GetProperty(kind);
            Assert.Equal((12, 0, 0), (calls.GetProperty("calls").GetInt32(), calls.GetProperty("errors").GetInt32(), calls.GetProperty("couldNotStart").GetInt32()));
            foreach (var key in new[] { "p50Ms", "p90Ms", "p99Ms", "maxMs", "seconds" })
            {
                Assert.True(calls.GetProperty(key).GetDouble() >= 0, kind + "." + key);
            }
        }

        Assert.Contains("round 5/5: 12 creates, 12 health checks", run.ErrorLines);
        Assert.Contains("note: blocks of 2 calls keep 3 in flight only briefly; --count 60 or more measures that concurrency.", run.ErrorLines);
        var list = await _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "LOAD", PageSize = 100 }, cancellationToken: Ct);
        Assert.Equal(14, list.Payments.Count);
        Assert.Equal(14, list.Payments.Select(p => p.BillNumber).Distinct().Count());
        Assert.All(list.Payments, p => Assert.Equal(Payment.Types.State.Cancelled, p.State));
    }

    [Fact]
    public async Task Payments_load_without_a_warm_up_measures_the_count_it_was_given()
    {
        var run = await _gateway.RunAsync("payments", "load", "--count", "3", "--concurrency", "2", "--warm-up", "0", "--json");

        Assert.Equal(0, run.ExitCode);
        var create = Json(Assert.Single(run.OutputLines)).GetProperty("create");
        Assert.Equal(3, create.GetProperty("calls").GetInt32());
        Assert.True(create.GetProperty("maxMs").GetDouble() >= create.GetProperty("p50Ms").GetDouble());
        var list = await _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "LOAD" }, cancellationToken: Ct);
        Assert.Equal(3, list.Payments.Count);
    }

    [Fact]
    public async Task Payments_load_with_a_rate_offers_creates_and_health_checks_in_an_open_loop()
    {
        // The command on the real clock, so that its pacer moves; the gateway keeps its fake one.
        var run = _gateway.Launch(TimeProvider.System, Ct, "payments", "load", "--rate", "1000", "--count", "6", "--rounds", "2", "--warm-up", "0", "--json");

        Assert.Equal(0, await run.ExitCodeAsync());
        var result = Json(Assert.Single(run.Output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(("open", 1000, 256, 2), (
            result.GetProperty("mode").GetString(),
            result.GetProperty("rate").GetInt32(),
            result.GetProperty("concurrency").GetInt32(),
            result.GetProperty("rounds").GetInt32()));
        foreach (var kind in new[] { "create", "health" })
        {
            var calls = result.GetProperty(kind);
            Assert.Equal((6, 0, 0), (calls.GetProperty("calls").GetInt32(), calls.GetProperty("errors").GetInt32(), calls.GetProperty("couldNotStart").GetInt32()));
            Assert.True(calls.GetProperty("perSecond").GetDouble() > 0, kind);
        }

        Assert.True(result.GetProperty("ratio").GetDouble() > 0);
        var list = await _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "LOAD" }, cancellationToken: Ct);
        Assert.Equal(6, list.Payments.Count);
        Assert.All(list.Payments, p => Assert.Equal(Payment.Types.State.Cancelled, p.State));
    }

    [Fact]
    public async Task Payments_load_prints_a_table_of_both_calls_and_their_ratio_without_json()
    {
        var run = await _gateway.RunAsync("payments", "load", "--count", "2", "--warm-up", "0");

        Assert.Equal(0, run.ExitCode);
        var lines = run.OutputLines;
        Assert.Equal(5, lines.Length);
        Assert.Equal("closed loop: 8 calls in flight; 2 calls of each kind in 2 rounds", lines[0]);
        Assert.Equal(["calls", "errors", "could", "not", "start", "per", "s", "p50", "ms", "p90", "ms", "p99", "ms", "max", "ms"], Cells(lines[1]));
        Assert.Equal(["CreatePayment", "2", "0", "0"], Cells(lines[2])[..4]);
        Assert.Equal(["Health/Check", "2", "0", "0"], Cells(lines[3])[..4]);

        // The command's clock is the gateway's fake one: no time passes, so there is no rate to divide.
        Assert.Equal("-", Cells(lines[2])[4]);
        Assert.Equal("CreatePayment / Health/Check throughput: -", lines[4]);
    }

    [Fact]
    public async Task Payments_load_with_a_replica_sends_creates_and_health_checks_round_robin_to_both_gateways()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(string Authority, string Path)>();
        var run = _gateway.Launch(
            _gateway.Clock,
            handler => new Recording(handler, seen),
            Ct,
            "payments", "load", "--count", "4", "--concurrency", "1", "--rounds", "1", "--warm-up", "0", "--replica", "http://127.0.0.1:5999", "--json");

        Assert.Equal(0, await run.Exit.WaitAsync(TimeSpan.FromSeconds(60), Ct));
        var byGateway = seen.Where(r => !r.Path.EndsWith("/CancelPayment", StringComparison.Ordinal))
            .GroupBy(r => (r.Authority, Method: r.Path[(r.Path.LastIndexOf('/') + 1)..]))
            .ToDictionary(g => g.Key, g => g.Count());

        // Each gateway gets one health check alone first (the command's probe), then every other call of each kind: the
        // replica on its own address, the --server on its own.
        Assert.Equal(2, byGateway[("127.0.0.1:5999", "CreatePayment")]);
        Assert.Equal(1 + 2, byGateway[("127.0.0.1:5999", "Check")]);
        Assert.Equal(1 + 4, byGateway.Where(g => g.Key.Authority != "127.0.0.1:5999").Sum(g => g.Value));
    }

    [Fact]
    public async Task Payments_load_fails_a_create_the_gateway_does_not_answer_within_the_call_timeout_and_ends()
    {
        // The command on a clock of its own: the timeout passes when the test moves it, once the create is waiting.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(_gateway.Clock.GetUtcNow());
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = _gateway.Launch(
            clock,
            handler => new HoldingCreates(handler, held),
            Ct,
            "payments", "load", "--count", "1", "--concurrency", "1", "--rounds", "1", "--warm-up", "0", "--call-timeout", "5", "--json");

        await held.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(run.Exit.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.NotEqual(0, await run.Exit.WaitAsync(TimeSpan.FromSeconds(60), Ct));
        Assert.Contains("DEADLINE_EXCEEDED: No answer within 5 s (--call-timeout).", run.Error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Passes every request on except a create, which waits until the call is given up.</summary>
    private sealed class HoldingCreates(HttpMessageHandler inner, TaskCompletionSource held) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!request.RequestUri!.AbsolutePath.EndsWith("/CreatePayment", StringComparison.Ordinal))
            {
                return await base.SendAsync(request, cancellationToken);
            }

            held.TrySetResult();
            var never = new TaskCompletionSource<HttpResponseMessage>();
            return await never.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Records each request's address (the gateway it was meant for) and passes it on to the in-process gateway.</summary>
    private sealed class Recording(HttpMessageHandler inner, System.Collections.Concurrent.ConcurrentQueue<(string, string)> seen) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Enqueue((request.RequestUri!.Authority, request.RequestUri.AbsolutePath));
            return base.SendAsync(request, cancellationToken);
        }
    }

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static JsonElement Json(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }
}

public sealed class LoadCommandOptionTests
{
    [Fact]
    public async Task Payments_load_refuses_a_replica_that_is_not_a_url_naming_the_option()
    {
        var run = await Cli.RunAsync("payments", "load", "--replica", "gateway-b", "--server", "http://127.0.0.1:9");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("--replica: 'gateway-b' is not an http:// or https:// URL.", Assert.Single(run.ErrorLines));
    }

    [Theory]
    [InlineData("--count", "0", "--count: must be at least 1.")]
    [InlineData("--concurrency", "0", "--concurrency: must be at least 1.")]
    [InlineData("--rate", "0", "--rate: must be at least 1.")]
    [InlineData("--rounds", "0", "--rounds: must be at least 1.")]
    [InlineData("--warm-up", "-1", "--warm-up: must be at least 0.")]
    [InlineData("--call-timeout", "0", "--call-timeout: must be at least 1.")]
    public async Task Payments_load_refuses_an_option_out_of_range_naming_it_with_exit_code_2(string option, string value, string error)
    {
        // Refused before any call: the gateway named here is never reached.
        var run = await Cli.RunAsync("payments", "load", option, value, "--server", "http://127.0.0.1:9");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(error, Assert.Single(run.ErrorLines));
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task Payments_load_refuses_a_rate_that_is_not_a_whole_number()
    {
        var run = await Cli.RunAsync("payments", "load", "--rate", "fast", "--server", "http://127.0.0.1:9");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("--rate: 'fast' is not a whole number.", Assert.Single(run.ErrorLines));
    }
}
