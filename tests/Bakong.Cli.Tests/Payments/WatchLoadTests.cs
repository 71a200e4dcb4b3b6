using System.Net;
using System.Text.Json;
using Bakong.Grpc.Payments.V1;

namespace Bakong.Cli.Tests.Payments;

/// <summary>
/// <c>bakong payments load --watchers</c> against the in-process gateway, on the gateway's fake clock: the test pays
/// nothing itself; it waits for the command to say it has paid, then moves the clock on so the poller finds the money.
/// </summary>
[Collection(nameof(GatewayHostedTests))]
public sealed class WatchLoadTests : IAsyncLifetime
{
    private readonly CliGateway _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Watch_load_opens_every_stream_pays_every_payment_and_counts_PAID_reaching_every_watcher()
    {
        var run = _gateway.Launch(Ct, "payments", "load", "--watchers", "50", "--payments", "5", "--terminal", "WATCH", "--json");

        await PollAfterPayingAsync(run, payments: 5);

        Assert.Equal(0, await run.ExitCodeAsync());
        var result = Json(Assert.Single(Lines(run.Output)));
        Assert.Equal(
            ["mode", "watchers", "payments", "channels", "connections", "opened", "openFailed", "paid", "endedOtherwise", "failed", "timedOut",
                "openSeconds", "sinceUpdate", "sinceFirstWatcher", "sincePay", "gatewayPid", "gatewayRssBeforeMiB", "gatewayRssPeakMiB", "clientRssPeakMiB"],
            result.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("watch", 50, 5, 1), (result.GetProperty("mode").GetString(), Int(result, "watchers"), Int(result, "payments"), Int(result, "channels")));
        Assert.Equal((50, 0, 50, 0, 0, 0), (Int(result, "opened"), Int(result, "openFailed"), Int(result, "paid"), Int(result, "endedOtherwise"), Int(result, "failed"), Int(result, "timedOut")));
        foreach (var kind in new[] { "sinceUpdate", "sinceFirstWatcher", "sincePay" })
        {
            var latencies = result.GetProperty(kind);
            Assert.Equal(["p50Ms", "p90Ms", "p99Ms", "maxMs"], latencies.EnumerateObject().Select(p => p.Name));
            Assert.True(latencies.GetProperty("maxMs").GetDouble() >= latencies.GetProperty("p50Ms").GetDouble(), kind);
        }

        // In-process: no TCP connections to count, no gateway process id given.
        Assert.Equal(JsonValueKind.Null, result.GetProperty("connections").ValueKind);
        Assert.Equal(JsonValueKind.Null, result.GetProperty("gatewayRssPeakMiB").ValueKind);
        Assert.True(result.GetProperty("clientRssPeakMiB").GetDouble() > 0);
        var list = await _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "WATCH" }, cancellationToken: Ct);
        Assert.Equal(5, list.Payments.Count);
        Assert.All(list.Payments, p => Assert.Equal(Payment.Types.State.Paid, p.State));
    }

    [Fact]
    public async Task Watch_load_counts_the_streams_the_gateway_refused_and_measures_the_others()
    {
        var refusals = new WatchRefusals(every: 10);
        var run = _gateway.Launch(_gateway.Clock, refusals.Wrap, Ct, "payments", "load", "--watchers", "50", "--payments", "5", "--terminal", "WATCH");

        await PollAfterPayingAsync(run, payments: 5);

        Assert.Equal(0, await run.ExitCodeAsync());
        var lines = Lines(run.Output);
        Assert.Equal("watch load: 50 streams on 5 payments over 1 channel", lines[0]);
        Assert.Equal("streams: 45 opened in 0.0 s, 5 failed to open; 45 saw PAID, 0 ended otherwise, 0 failed, 0 timed out", lines[1]);
        Assert.Equal(["PAID", "reached", "each", "watcher", "p50", "ms", "p90", "ms", "p99", "ms", "max", "ms"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("after update_time (the poll pass)", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("after its payment's first watcher", lines[4], StringComparison.Ordinal);
        Assert.StartsWith("after the pay call (with the poll)", lines[5], StringComparison.Ordinal);
        Assert.StartsWith("this client's RSS at the peak: ", lines[6], StringComparison.Ordinal);
        Assert.Contains("WatchPayment: 5 of 50 streams failed; the first: RESOURCE_EXHAUSTED: too many watch streams", Lines(run.Error));
    }

    [Fact]
    public async Task Watch_load_whose_every_stream_is_refused_ends_with_the_error_and_cancels_its_payments()
    {
        var refusals = new WatchRefusals(every: 1);
        var run = _gateway.Launch(_gateway.Clock, refusals.Wrap, Ct, "payments", "load", "--watchers", "6", "--payments", "3", "--terminal", "WATCH");

        Assert.Equal(1, await run.ExitCodeAsync());
        Assert.Empty(run.Output.ToString());
        Assert.Contains("RESOURCE_EXHAUSTED: too many watch streams", Lines(run.Error));
        var list = await _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "WATCH" }, cancellationToken: Ct);
        Assert.Equal(3, list.Payments.Count);
        Assert.All(list.Payments, p => Assert.Equal(Payment.Types.State.Cancelled, p.State));
    }

    [Fact]
    public async Task Watch_load_that_cannot_pay_stops_its_streams_says_why_and_cancels_its_payments()
    {
        var run = _gateway.Launch(Ct, "payments", "load", "--watchers", "4", "--payments", "2", "--terminal", "WATCH", "--sandbox-url", "http://localhost/nowhere");

        Assert.Equal(1, await run.ExitCodeAsync());
        Assert.Empty(run.Output.ToString());
        Assert.Contains(
            "error: the sandbox at http://localhost/nowhere/ refused to pay (HTTP 404); is --sandbox-url the gateway's Web endpoint + /sandbox, in Sandbox mode?",
            Lines(run.Error));
        var list = await _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "WATCH" }, cancellationToken: Ct);
        Assert.Equal(2, list.Payments.Count);
        Assert.All(list.Payments, p => Assert.Equal(Payment.Types.State.Cancelled, p.State));
    }

    /// <summary>
    /// Once the command says it has paid, waits until the poller has made its first check of each payment (at creation)
    /// and moves the clock on to the next one, which finds the money.
    /// </summary>
    private async Task PollAfterPayingAsync(PaymentsRun run, int payments)
    {
        await run.Error.LineAsync($"paid {payments} payments; waiting for PAID on ");
        var list = await _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "WATCH" }, cancellationToken: Ct);
        Assert.Equal(payments, list.Payments.Count);
        foreach (var payment in list.Payments)
        {
            await _gateway.WaitForFirstCheckAsync(payment.PaymentId).WaitAsync(CliGateway.Timeout, Ct);
        }

        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
    }

    private static int Int(JsonElement element, string name) => element.GetProperty(name).GetInt32();

    private static string[] Lines(LineWriter writer) => writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static JsonElement Json(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Answers every <c>every</c>-th WatchPayment request itself with RESOURCE_EXHAUSTED (trailers only), as a gateway
    /// with a cap on watch streams would; counted over every handler it wraps (each channel and HttpClient makes one).
    /// </summary>
    private sealed class WatchRefusals(int every)
    {
        private int _watches;

        public HttpMessageHandler Wrap(HttpMessageHandler inner) => new Refusing(this) { InnerHandler = inner };

        private sealed class Refusing(WatchRefusals refusals) : DelegatingHandler
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                if (request.RequestUri!.AbsolutePath.EndsWith("/WatchPayment", StringComparison.Ordinal)
                    && Interlocked.Increment(ref refusals._watches) % refusals.Every == 0)
                {
                    var response = new HttpResponseMessage(HttpStatusCode.OK)
                    {
                        Version = HttpVersion.Version20,
                        RequestMessage = request,
                        Content = new ByteArrayContent([]),
                    };
                    response.Content.Headers.ContentType = new("application/grpc");
                    response.Headers.Add("grpc-status", "8");
                    response.Headers.Add("grpc-message", "too many watch streams");
                    return Task.FromResult(response);
                }

                return base.SendAsync(request, cancellationToken);
            }
        }

        private int Every => every;
    }
}

public sealed class WatchLoadOptionTests
{
    [Theory]
    [InlineData(new[] { "--watchers", "0" }, "--watchers: must be at least 1.")]
    [InlineData(new[] { "--watchers", "5", "--payments", "6" }, "--payments: at most --watchers (5): a payment nobody watches measures nothing.")]
    [InlineData(new[] { "--watchers", "5", "--rate", "10" }, "--rate: not with --watchers (a watch load creates no load of its own).")]
    [InlineData(new[] { "--watchers", "5", "--keep" }, "--keep: not with --watchers (a watch load creates no load of its own).")]
    [InlineData(new[] { "--channels", "2" }, "--channels: only with --watchers.")]
    [InlineData(new[] { "--watchers", "5", "--sandbox-url", "ftp://x" }, "--sandbox-url: 'ftp://x' is not an http:// or https:// URL.")]
    [InlineData(new[] { "--watchers", "5", "--gateway-pid", "2147483647" }, "--gateway-pid: there is no /proc/2147483647/status (no such process, or not Linux).")]
    public async Task Watch_load_refuses_a_bad_option_naming_it_with_exit_code_2(string[] options, string error)
    {
        // Refused before any call: the gateway named here is never reached.
        var run = await Cli.RunAsync(["payments", "load", .. options, "--server", "http://127.0.0.1:9"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(error, Assert.Single(run.ErrorLines));
        Assert.Empty(run.Output);
    }
}
