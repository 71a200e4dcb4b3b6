using System.Net;
using System.Net.Http.Json;
using Bakong.Gateway.Tests.Access;
using Bakong.Grpc.Payments.V1;
using Bakong.Identity;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Tests;

/// <summary>
/// Limits:* per caller: the CreatePayment rate (a token bucket per client, or per address without keys), the pending
/// payments per terminal and the open watches per caller. Past each: RESOURCE_EXHAUSTED with RetryInfo (REST 429 with
/// Retry-After), and nothing is created.
/// </summary>
public sealed class LimitsTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Creates_past_the_burst_are_resource_exhausted_with_retry_info_until_the_bucket_refills()
    {
        _gateway.Settings["Limits:CreatePaymentBurst"] = "3";
        _gateway.Settings["Limits:CreatePaymentsPerMinute"] = "30";
        for (var i = 0; i < 3; i++)
        {
            await _gateway.CreateAsync(Requests.Create("burst-" + i));
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => _gateway.CreateAsync(Requests.Create("burst-3")));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        var status = e.GetRpcStatus()!;
        Assert.Equal(TimeSpan.FromSeconds(2), status.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
        Assert.Equal("CreatePayment calls per minute", Assert.Single(status.GetDetail<QuotaFailure>().Violations).Description);
        Assert.Null(await _gateway.Store.GetByRequestIdAsync("burst-3", Ct));

        // One call is earned every 2 s (30 a minute): the refused call goes through after the delay it was given.
        _gateway.Clock.Advance(TimeSpan.FromSeconds(2));
        await _gateway.CreateAsync(Requests.Create("burst-3"));
        var again = await Assert.ThrowsAsync<RpcException>(() => _gateway.CreateAsync(Requests.Create("burst-4")));
        Assert.Equal(StatusCode.ResourceExhausted, again.StatusCode);
    }

    [Fact]
    public async Task Each_client_has_its_own_create_rate()
    {
        await using var gateway = ApiKeys.Gateway();
        gateway.Settings["Limits:CreatePaymentBurst"] = "2";
        var flooding = gateway.PaymentsAs(gateway.AddClient(ClientRole.Terminal, "till-1"));
        var other = gateway.PaymentsAs(gateway.AddClient(ClientRole.Terminal, "till-2"));
        await flooding.CreatePaymentAsync(Requests.Create("a-1"), cancellationToken: Ct);
        await flooding.CreatePaymentAsync(Requests.Create("a-2"), cancellationToken: Ct);

        var e = await Assert.ThrowsAsync<RpcException>(() => flooding.CreatePaymentAsync(Requests.Create("a-3"), cancellationToken: Ct).ResponseAsync);
        var created = await other.CreatePaymentAsync(Requests.Create("b-1", terminal: "till-2"), cancellationToken: Ct);

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal(State.Pending, created.Payment.State);
    }

    [Fact]
    public async Task Rest_create_past_the_rate_is_429_with_retry_after()
    {
        _gateway.Settings["Limits:CreatePaymentBurst"] = "1";
        _gateway.Settings["Limits:CreatePaymentsPerMinute"] = "6";
        using var http = _gateway.CreateClient();
        using var first = await PostAsync(http, "rest-1");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var refused = await PostAsync(http, "rest-2");

        Assert.True(refused.StatusCode == HttpStatusCode.TooManyRequests, (int)refused.StatusCode + " " + await refused.Content.ReadAsStringAsync(Ct));
        Assert.Equal(TimeSpan.FromSeconds(10), refused.Headers.RetryAfter?.Delta);
        var body = await refused.Content.ReadAsStringAsync(Ct);
        Assert.Contains("type.googleapis.com/google.rpc.RetryInfo", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_terminal_at_its_pending_cap_is_refused_a_new_payment_but_not_a_replay_and_may_create_once_one_is_cancelled()
    {
        _gateway.Settings["Limits:MaxPendingPerTerminal"] = "2";
        var first = await _gateway.CreateAsync(Requests.Create("pending-1"));
        await _gateway.CreateAsync(Requests.Create("pending-2"));

        var e = await Assert.ThrowsAsync<RpcException>(() => _gateway.CreateAsync(Requests.Create("pending-3")));
        var replay = await _gateway.CreateAsync(Requests.Create("pending-1"));
        var otherTerminal = await _gateway.CreateAsync(Requests.Create("other-1", terminal: "till-2"));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        var status = e.GetRpcStatus()!;
        Assert.Equal(TimeSpan.FromMinutes(5), status.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
        Assert.Equal("till-1", Assert.Single(status.GetDetail<QuotaFailure>().Violations).Subject);
        Assert.Null(await _gateway.Store.GetByRequestIdAsync("pending-3", Ct));
        Assert.Equal(first.PaymentId, replay.PaymentId);
        Assert.Equal(State.Pending, otherTerminal.State);

        await _gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = first.PaymentId }, cancellationToken: Ct);
        Assert.Equal(State.Pending, (await _gateway.CreateAsync(Requests.Create("pending-3"))).State);
    }

    [Fact]
    public async Task Watches_past_the_cap_are_refused_and_one_that_ended_makes_room()
    {
        _gateway.Settings["Limits:MaxWatchesPerCaller"] = "2";
        var first = await _gateway.CreateAsync(Requests.Create("watched-1"));
        var second = await _gateway.CreateAsync(Requests.Create("watched-2"));
        using var watch1 = _gateway.Watch(first.PaymentId);
        using var watch2 = _gateway.Watch(second.PaymentId);
        await watch1.NextAsync();
        await watch2.NextAsync();

        using var refused = _gateway.Payments.WatchPayment(new WatchPaymentRequest { PaymentId = first.PaymentId }, cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(Ct));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.NotNull(e.GetRpcStatus()!.GetDetail<RetryInfo>());

        // A stream ends with its payment: the place it held is free once the client has seen the end.
        await _gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = first.PaymentId }, cancellationToken: Ct);
        await watch1.SettledAsync();
        await watch1.EndsAsync();
        using var watch3 = _gateway.Watch(second.PaymentId);
        Assert.Equal(second.PaymentId, (await watch3.NextAsync()).PaymentId);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string requestId) => http.PostAsJsonAsync(
        new Uri("/v1/payments", UriKind.Relative),
        new { requestId, terminalId = "till-1", amount = new { currencyCode = "KHR", units = 5000 } },
        Ct);
}
