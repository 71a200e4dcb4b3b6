using System.Net;
using System.Threading.Channels;
using Bakong.OpenApi.Client;

namespace Bakong.OpenApi.Tests.Client;

public sealed class FaultAndResilienceTests
{
    private const string Md5 = "d60f3db96913029a2af979a1662c1e72";
    private const string NotFound = """{ "data": null, "errorCode": 1, "responseCode": 1, "responseMessage": "Transaction could not be found. Please check and try again." }""";

    public static TheoryData<Func<HttpResponseMessage>, BakongFaultKind, int> TransientFaults => new()
    {
        { () => new HttpResponseMessage(HttpStatusCode.InternalServerError), BakongFaultKind.ServerError, 500 },
        { () => StubHandler.Html(HttpStatusCode.GatewayTimeout, "<html>504 Gateway Time-out</html>"), BakongFaultKind.ServerError, 504 },
        { () => new HttpResponseMessage(HttpStatusCode.TooManyRequests), BakongFaultKind.RateLimited, 429 },
    };

    [Theory]
    [MemberData(nameof(TransientFaults))]
    public async Task Transient_http_faults_are_retried_up_to_the_retry_count(Func<HttpResponseMessage> response, BakongFaultKind kind, int status)
    {
        var handler = new StubHandler(_ => response());
        using var harness = new ClientHarness(handler, o => o.RetryCount = 2);

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.Equal(kind, result.Fault?.Kind);
        Assert.Equal(status, result.Fault?.HttpStatus);
        Assert.Equal([1, 2, 3], harness.Audit.Records.Select(r => r.Attempt));
        Assert.All(harness.Audit.Records, r => Assert.Equal(kind.ToString(), r.Outcome));
        Assert.All(harness.Audit.Records, r => Assert.Equal(status, r.HttpStatus));
    }

    [Fact]
    public async Task Connection_errors_are_unreachable_and_retried()
    {
        var handler = new StubHandler((_, _) => Task.FromException<HttpResponseMessage>(
            new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (sit-api-bakong.nbc.gov.kh:443)")));
        using var harness = new ClientHarness(handler, o => o.RetryCount = 1);

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.Equal(BakongFaultKind.Unreachable, result.Fault?.Kind);
        Assert.Equal(2, harness.Audit.Records.Count);
        Assert.All(harness.Audit.Records, r => Assert.Null(r.HttpStatus));
    }

    [Fact]
    public async Task A_transient_fault_followed_by_an_answer_returns_the_answer()
    {
        var calls = 0;
        var handler = new StubHandler(_ => ++calls == 1 ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) : StubHandler.Json(NotFound));
        using var harness = new ClientHarness(handler);

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.IsType<TransactionCheck.NotFound>(result.Value);
        Assert.Equal([(1, 503, "ServerError"), (2, 200, "BakongError")],
            harness.Audit.Records.Select(r => (r.Attempt, r.HttpStatus ?? 0, r.Outcome)));
    }

    public static TheoryData<Func<HttpResponseMessage>, BakongFaultKind> PermanentFaults => new()
    {
        { () => StubHandler.Html(HttpStatusCode.Forbidden), BakongFaultKind.GeoBlocked },
        { () => new HttpResponseMessage(HttpStatusCode.BadRequest), BakongFaultKind.Malformed },
        { () => StubHandler.Html(HttpStatusCode.OK, "<html>captive portal</html>"), BakongFaultKind.Malformed },
        { () => StubHandler.Json("""{"responseCode":1,"responseMessage":"Unauthorized, not yet requested for token or code invalid","errorCode":6,"data":null}"""), BakongFaultKind.Unauthorized },
        { () => StubHandler.Json("""{"responseCode":1,"responseMessage":"Unauthorized, not yet requested for token or code invalid","errorCode":6,"data":null}""", HttpStatusCode.Unauthorized), BakongFaultKind.Unauthorized },
        { () => new HttpResponseMessage(HttpStatusCode.Unauthorized), BakongFaultKind.Unauthorized },
        { () => StubHandler.Json(NotFound), (BakongFaultKind)(-1) },
    };

    [Theory]
    [MemberData(nameof(PermanentFaults))]
    public async Task Non_transient_faults_and_bakong_answers_are_never_retried(Func<HttpResponseMessage> response, BakongFaultKind kind)
    {
        // No renewed token, so a 401 is final after its one renewal attempt.
        var handler = new StubHandler(_ => response());
        using var harness = new ClientHarness(
            handler, o => o.RetryCount = 3, new FakeTokenSource(new(ClientHarness.TokenValue, null), null));

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        if ((int)kind >= 0)
        {
            Assert.Equal(kind, result.Fault?.Kind);
        }
        else
        {
            Assert.Null(result.Fault);
        }

        Assert.Single(harness.Audit.Records);
    }

    [Fact]
    public async Task Geo_block_message_says_the_production_api_only_accepts_cambodian_ip_addresses()
    {
        using var harness = new ClientHarness(new StubHandler(_ => StubHandler.Html(HttpStatusCode.Forbidden)));

        var result = await harness.Client.CheckTransactionByHashAsync(new string('a', 64), TestContext.Current.CancellationToken);

        Assert.Equal(BakongFaultKind.GeoBlocked, result.Fault?.Kind);
        Assert.Equal(403, result.Fault?.HttpStatus);
        Assert.Contains("only accepts requests from Cambodian IP addresses", result.Failure);
        Assert.Contains("HTML", result.Failure, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task No_configured_token_is_unauthorized_without_calling_bakong()
    {
        var handler = new StubHandler(_ => StubHandler.Json(NotFound));
        using var harness = new ClientHarness(handler, tokens: new FakeTokenSource(null, null));

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.Equal(BakongFaultKind.Unauthorized, result.Fault?.Kind);
        Assert.Empty(handler.Requests);
        Assert.Equal(0, harness.Tokens.Renewals);
    }

    [Fact]
    public async Task Hung_attempts_time_out_after_the_attempt_timeout_and_are_retried()
    {
        var arrivals = Channel.CreateUnbounded<SeenRequest>();
        var handler = new StubHandler(async (r, ct) =>
        {
            arrivals.Writer.TryWrite(r);
            await new TaskCompletionSource().Task.WaitAsync(ct);
            throw new InvalidOperationException("unreachable");
        });
        using var harness = new ClientHarness(handler, o =>
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(4);
            o.TotalTimeout = TimeSpan.FromSeconds(10);
            o.RetryCount = 1;
        });
        var ct = TestContext.Current.CancellationToken;

        var call = harness.Client.CheckTransactionByMd5Async(Md5, ct);
        await arrivals.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
        harness.Time.Advance(TimeSpan.FromSeconds(4));
        await arrivals.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
        harness.Time.Advance(TimeSpan.FromSeconds(4));
        var result = await call.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(BakongFaultKind.Timeout, result.Fault?.Kind);
        Assert.Equal([1, 2], harness.Audit.Records.Select(r => r.Attempt));
        Assert.All(harness.Audit.Records, r => Assert.Equal("Timeout", r.Outcome));
        Assert.All(harness.Audit.Records, r => Assert.Equal(TimeSpan.FromSeconds(4), r.Latency));
    }

    [Fact]
    public async Task The_total_timeout_ends_the_call_even_with_retries_left()
    {
        var arrivals = Channel.CreateUnbounded<SeenRequest>();
        var handler = new StubHandler(async (r, ct) =>
        {
            arrivals.Writer.TryWrite(r);
            await new TaskCompletionSource().Task.WaitAsync(ct);
            throw new InvalidOperationException("unreachable");
        });
        using var harness = new ClientHarness(handler, o =>
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(4);
            o.TotalTimeout = TimeSpan.FromSeconds(10);
            o.RetryCount = 5;
        });
        var ct = TestContext.Current.CancellationToken;

        var call = harness.Client.CheckTransactionByMd5Async(Md5, ct);
        foreach (var step in new[] { 4, 4, 2 })
        {
            await arrivals.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
            harness.Time.Advance(TimeSpan.FromSeconds(step));
        }

        var result = await call.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(BakongFaultKind.Timeout, result.Fault?.Kind);
        Assert.Equal(3, harness.Audit.Records.Count);
        Assert.Equal(TimeSpan.FromSeconds(2), harness.Audit.Records.Last().Latency);
    }

    [Fact]
    public async Task Caller_cancellation_throws_instead_of_reporting_a_timeout()
    {
        var arrived = new TaskCompletionSource();
        var handler = new StubHandler(async (_, ct) =>
        {
            arrived.TrySetResult();
            await new TaskCompletionSource().Task.WaitAsync(ct);
            throw new InvalidOperationException("unreachable");
        });
        using var harness = new ClientHarness(handler);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var call = harness.Client.CheckTransactionByMd5Async(Md5, cts.Token);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal("Cancelled", Assert.Single(harness.Audit.Records).Outcome);
    }

    [Fact]
    public async Task Repeated_server_errors_open_the_circuit_and_it_closes_after_the_break()
    {
        var fail = true;
        var handler = new StubHandler(_ => fail ? new HttpResponseMessage(HttpStatusCode.InternalServerError) : StubHandler.Json(NotFound));
        using var harness = new ClientHarness(handler, o =>
        {
            o.RetryCount = 0;
            o.CircuitBreakerMinimumThroughput = 2;
            o.CircuitBreakerFailureRatio = 0.5;
            o.CircuitBreakerBreakDuration = TimeSpan.FromSeconds(15);
        });
        var ct = TestContext.Current.CancellationToken;

        await harness.Client.CheckTransactionByMd5Async(Md5, ct);
        await harness.Client.CheckTransactionByMd5Async(Md5, ct);
        var rejected = await harness.Client.CheckTransactionByMd5Async(Md5, ct);

        Assert.Equal(BakongFaultKind.CircuitOpen, rejected.Fault?.Kind);
        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal(2, harness.Audit.Records.Count);

        fail = false;
        harness.Time.Advance(TimeSpan.FromSeconds(15));
        var probe = await harness.Client.CheckTransactionByMd5Async(Md5, ct);

        Assert.IsType<TransactionCheck.NotFound>(probe.Value);
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task Bakong_answers_and_client_errors_do_not_open_the_circuit()
    {
        var handler = new StubHandler(_ => StubHandler.Html(HttpStatusCode.Forbidden));
        using var harness = new ClientHarness(handler, o =>
        {
            o.RetryCount = 0;
            o.CircuitBreakerMinimumThroughput = 2;
        });
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(BakongFaultKind.GeoBlocked, (await harness.Client.CheckTransactionByHashAsync("abc", ct)).Fault?.Kind);
        }

        Assert.Equal(5, handler.Requests.Count);
    }

    [Fact]
    public async Task No_more_than_the_concurrency_limit_of_attempts_are_in_flight()
    {
        var inFlight = 0;
        var maxInFlight = 0;
        var arrivals = Channel.CreateUnbounded<int>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new StubHandler(async (_, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            arrivals.Writer.TryWrite(now);
            await release.Task.WaitAsync(ct);
            Interlocked.Decrement(ref inFlight);
            return StubHandler.Json(NotFound);
        });
        using var harness = new ClientHarness(handler, o => o.MaxConcurrentCalls = 2);
        var ct = TestContext.Current.CancellationToken;

        var calls = Enumerable.Range(0, 6).Select(_ => harness.Client.CheckTransactionByMd5Async(Md5, ct)).ToList();
        await arrivals.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
        await arrivals.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(2, handler.Requests.Count);
        release.SetResult();
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(2, maxInFlight);
        Assert.Equal(6, handler.Requests.Count);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
