extern alias testing;

using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Bakong.Grpc.Payments.V1;
using CountSignal = testing::Bakong.Testing.CountSignal;
using ObservedClock = testing::Bakong.Testing.ObservedClock;

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
            ["mode", "watchers", "payments", "channels", "paced", "latePayments", "connections", "opened", "openFailed", "paid", "endedOtherwise", "failed", "timedOut",
                "openSeconds", "sinceUpdate", "sinceFirstWatcher", "sincePay", "gatewayPid", "gatewayRssBeforeMiB", "gatewayRssPeakMiB", "clientRssPeakMiB"],
            result.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("watch", 50, 5, 1), (result.GetProperty("mode").GetString(), Int(result, "watchers"), Int(result, "payments"), Int(result, "channels")));
        Assert.False(result.GetProperty("paced").GetBoolean());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("latePayments").ValueKind);
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
    public async Task Paced_watch_load_pays_each_payment_only_after_every_watcher_of_the_one_before_saw_PAID()
    {
        var observer = new PacedObserver();
        var run = _gateway.Launch(_gateway.Clock, observer.Wrap, Ct, "payments", "load", "--watchers", "6", "--payments", "3", "--paced", "--terminal", "WATCH");
        await run.Error.LineAsync("paying 3 payments one at a time through ");

        string[] expected = ["pay", "PAID", "PAID", "pay", "PAID", "PAID", "pay", "PAID", "PAID"];
        for (var k = 0; k < 3; k++)
        {
            // By the k-th pay call, every watcher of every payment before it has seen PAID. (The poller's pass that
            // found the payment before may find this one too before the test moves the clock: its PAIDs may follow.)
            var qr = await observer.Paid.ReadAsync(Ct).AsTask().WaitAsync(CliGateway.Timeout, Ct);
            Assert.Equal(expected[..(3 * k + 1)], observer.Events[..(3 * k + 1)]);
            var id = await PaymentIdAsync(qr);
            await _gateway.WaitForFirstCheckAsync(id).WaitAsync(CliGateway.Timeout, Ct);
            await _gateway.AdvanceToNextCheckAsync(id);
            if (k == 0)
            {
                // The first watcher to be sent PAID is held back until its payment's other watcher has seen PAID: the
                // next pay call waits for the last watcher, not the first.
                await observer.HeldAsync();
                await observer.PaidSeenAsync(1);
                observer.Release();
            }
        }

        Assert.Equal(0, await run.ExitCodeAsync());
        Assert.Equal(expected, observer.Events);
        var lines = Lines(run.Output);
        Assert.Equal("paced: one payment at a time, each paid once every watcher of the one before saw PAID (0 paid after --timeout instead)", lines[1]);
        Assert.Equal("streams: 6 opened in 0.0 s, 0 failed to open; 6 saw PAID, 0 ended otherwise, 0 failed, 0 timed out", lines[2]);
        Assert.Contains("paid 3 payments one at a time", Lines(run.Error));
        var list = await _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "WATCH" }, cancellationToken: Ct);
        Assert.All(list.Payments, p => Assert.Equal(Payment.Types.State.Paid, p.State));
    }

    [Fact]
    public async Task Paced_watch_load_whose_payment_is_not_seen_by_every_watcher_within_the_timeout_counts_it_and_pays_the_next()
    {
        // The first PAID is never passed on: its watcher is still waiting when --timeout runs out on the command's clock.
        var observer = new PacedObserver();
        var clock = new ObservedClock(_gateway.Clock.GetUtcNow());
        var timeout = TimeSpan.FromSeconds(5);
        var run = _gateway.Launch(clock, observer.Wrap, Ct, "payments", "load", "--watchers", "4", "--payments", "2", "--paced", "--timeout", "5", "--terminal", "WATCH");
        await clock.WaitForTimerAsync(timeout); // the wait for every stream's first message

        var first = await PaymentIdAsync(await observer.Paid.ReadAsync(Ct).AsTask().WaitAsync(CliGateway.Timeout, Ct));
        await _gateway.WaitForFirstCheckAsync(first).WaitAsync(CliGateway.Timeout, Ct);
        await _gateway.AdvanceToNextCheckAsync(first);
        await observer.HeldAsync();
        await observer.PaidSeenAsync(1);
        await clock.WaitForTimerAsync(timeout); // the wait for the first payment's watchers
        clock.Fake.Advance(timeout);

        var second = await PaymentIdAsync(await observer.Paid.ReadAsync(Ct).AsTask().WaitAsync(CliGateway.Timeout, Ct));
        await _gateway.WaitForFirstCheckAsync(second).WaitAsync(CliGateway.Timeout, Ct);
        await _gateway.AdvanceToNextCheckAsync(second);
        await observer.PaidSeenAsync(3);
        await clock.WaitForTimerAsync(timeout); // the wait for the second payment's watchers (over at once)
        await clock.WaitForTimerAsync(timeout); // the last wait, for the held watcher
        clock.Fake.Advance(timeout);

        Assert.Equal(0, await run.ExitCodeAsync());
        Assert.Equal(["pay", "PAID", "pay", "PAID", "PAID"], observer.Events);
        Assert.Equal("paced: one payment at a time, each paid once every watcher of the one before saw PAID (1 paid after --timeout instead)", Lines(run.Output)[1]);
        Assert.Equal("streams: 4 opened in 0.0 s, 0 failed to open; 3 saw PAID, 0 ended otherwise, 0 failed, 1 timed out", Lines(run.Output)[2]);
        var errors = Lines(run.Error);
        Assert.Contains("paced: 1 of 2 payments still had watchers without PAID after 5 s (--timeout); the next payment was paid anyway", errors);
        Assert.Contains("WatchPayment: 1 of 4 streams had not finished after 5 s (--timeout)", errors);
    }

    [Fact]
    public async Task Paced_watch_load_says_so_in_its_json()
    {
        var observer = new PacedObserver();
        observer.Release(); // nothing held back
        var run = _gateway.Launch(_gateway.Clock, observer.Wrap, Ct, "payments", "load", "--watchers", "2", "--payments", "1", "--paced", "--terminal", "WATCH", "--json");

        var id = await PaymentIdAsync(await observer.Paid.ReadAsync(Ct).AsTask().WaitAsync(CliGateway.Timeout, Ct));
        await _gateway.WaitForFirstCheckAsync(id).WaitAsync(CliGateway.Timeout, Ct);
        await _gateway.AdvanceToNextCheckAsync(id);

        Assert.Equal(0, await run.ExitCodeAsync());
        var result = Json(Assert.Single(Lines(run.Output)));
        Assert.True(result.GetProperty("paced").GetBoolean());
        Assert.Equal((2, 2, 0), (Int(result, "opened"), Int(result, "paid"), Int(result, "latePayments")));
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
        Assert.Equal("paced: no, every payment paid at once (a burst of their changes)", lines[1]);
        Assert.Equal("streams: 45 opened in 0.0 s, 5 failed to open; 45 saw PAID, 0 ended otherwise, 0 failed, 0 timed out", lines[2]);
        Assert.Equal(["PAID", "reached", "each", "watcher", "p50", "ms", "p90", "ms", "p99", "ms", "max", "ms"], lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("after update_time (the poll pass)", lines[4], StringComparison.Ordinal);
        Assert.StartsWith("after its payment's first watcher", lines[5], StringComparison.Ordinal);
        Assert.StartsWith("after the pay call (with the poll)", lines[6], StringComparison.Ordinal);
        Assert.StartsWith("this client's RSS at the peak: ", lines[7], StringComparison.Ordinal);
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

    /// <summary>The payment of the load (terminal WATCH) whose QR this is.</summary>
    private async Task<string> PaymentIdAsync(string khqr)
    {
        var list = await _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest { TerminalId = "WATCH" }, cancellationToken: Ct);
        foreach (var payment in list.Payments)
        {
            var full = await _gateway.Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = payment.PaymentId }, cancellationToken: Ct);
            if (full.Payment.Khqr == khqr)
            {
                return payment.PaymentId;
            }
        }

        throw new InvalidOperationException("no payment of terminal WATCH has the QR that was paid");
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

/// <summary>
/// Sees the command's requests to the in-process gateway, in the order they happen: each pay call (when it is sent;
/// its QR is handed to the test once the sandbox has answered) and each PAID message as a <c>WatchPayment</c> stream hands
/// it to the command. The first PAID message is held back until the test releases it.
/// </summary>
internal sealed class PacedObserver
{
    private readonly Lock _gate = new();
    private readonly List<string> _events = [];
    private readonly Channel<string> _paid = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CountSignal _paidSeen = new();
    private int _holding;

    /// <summary>"pay" and "PAID", in order.</summary>
    public string[] Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>The QR of each pay call the sandbox has answered.</summary>
    public ChannelReader<string> Paid => _paid.Reader;

    public Task HeldAsync() => _held.Task.WaitAsync(CliGateway.Timeout, TestContext.Current.CancellationToken);

    /// <summary>Completes once <paramref name="count"/> PAID messages have been handed to the command.</summary>
    public Task PaidSeenAsync(int count) =>
        _paidSeen.ReachedAsync(count).WaitAsync(CliGateway.Timeout, TestContext.Current.CancellationToken);

    public void Release() => _release.TrySetResult();

    public HttpMessageHandler Wrap(HttpMessageHandler inner) => new Observing(this) { InnerHandler = inner };

    private void Record(string what)
    {
        lock (_gate)
        {
            _events.Add(what);
        }

        if (what == "PAID")
        {
            _paidSeen.Increment();
        }
    }

    /// <summary>Called with each message a stream reads, before the command gets it.</summary>
    private async Task MessageAsync(byte[] message, CancellationToken cancellationToken)
    {
        if (WatchPaymentResponse.Parser.ParseFrom(message).Payment.State != Payment.Types.State.Paid)
        {
            return;
        }

        if (Interlocked.Exchange(ref _holding, 1) == 0)
        {
            _held.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken);
        }

        Record("PAID");
    }

    private sealed class Observing(PacedObserver observer) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (path.EndsWith("/control/pay", StringComparison.Ordinal))
            {
                var body = await request.Content!.ReadAsStringAsync(cancellationToken);
                observer.Record("pay");
                var answer = await base.SendAsync(request, cancellationToken);
                using var json = JsonDocument.Parse(body);
                observer._paid.Writer.TryWrite(json.RootElement.GetProperty("qr").GetString()!);
                return answer;
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (path.EndsWith("/WatchPayment", StringComparison.Ordinal))
            {
                var messages = new StreamContent(new GrpcMessages(await response.Content.ReadAsStreamAsync(cancellationToken), observer));
                foreach (var header in response.Content.Headers)
                {
                    messages.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                response.Content = messages;
            }

            return response;
        }
    }

    /// <summary>A gRPC response body read one length-prefixed message at a time, each shown to the observer before it is passed on.</summary>
    private sealed class GrpcMessages(Stream inner, PacedObserver observer) : Stream
    {
        private byte[] _pending = [];
        private int _offset;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_offset == _pending.Length)
            {
                var header = new byte[5];
                if (await inner.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken) < header.Length)
                {
                    return 0;
                }

                var message = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
                await inner.ReadExactlyAsync(message, cancellationToken);
                await observer.MessageAsync(message, cancellationToken);
                _pending = [.. header, .. message];
                _offset = 0;
            }

            var count = Math.Min(buffer.Length, _pending.Length - _offset);
            _pending.AsMemory(_offset, count).CopyTo(buffer);
            _offset += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
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
    [InlineData(new[] { "--paced" }, "--paced: only with --watchers.")]
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
