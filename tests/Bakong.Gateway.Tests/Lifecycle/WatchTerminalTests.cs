using Bakong.Gateway.Tests.Access;
using Bakong.Grpc.Payments.V1;
using Bakong.Identity;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>
/// <c>WatchTerminal</c> over gRPC: the catch-up and its marker, every change of the terminal's payments in order,
/// resuming by cursor, and who may watch which terminal.
/// </summary>
public sealed class WatchTerminalTests : GatewayTest
{
    [Fact]
    public async Task An_idle_terminal_is_caught_up_at_once_then_shown_each_payment_it_creates_and_its_result_and_no_other_terminals()
    {
        using var watch = new TerminalWatch(Gateway.Payments, "till-1");
        var caughtUp = await watch.NextAsync();
        Assert.Equal(WatchTerminalResponse.EventOneofCase.CaughtUp, caughtUp.EventCase);
        Assert.False(caughtUp.CaughtUp.Resumed);
        Assert.NotEmpty(caughtUp.Cursor);

        var elsewhere = await Gateway.CreateAsync(Requests.Create("elsewhere", terminal: "till-2"));
        var created = await Gateway.CreateAsync(Requests.Create("sale-1"));
        var pending = await watch.NextAsync();
        Assert.Equal((created.PaymentId, State.Pending), (pending.Payment.PaymentId, pending.Payment.State));

        await Gateway.PayAsync(created.Khqr);
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await watch.NextAsync();
        Assert.Equal((created.PaymentId, State.Paid), (paid.Payment.PaymentId, paid.Payment.State));

        Assert.Equal(3, new[] { caughtUp.Cursor, pending.Cursor, paid.Cursor }.Distinct().Count());

        // Checks that find nothing and the other terminal's changes are no messages: the next is the next sale.
        await Gateway.CheckNextAsync(elsewhere.PaymentId);
        var following = await Gateway.CreateAsync(Requests.Create("sale-2"));
        Assert.Equal(following.PaymentId, (await watch.NextAsync()).Payment.PaymentId);
    }

    [Fact]
    public async Task The_catch_up_is_the_terminals_pending_payments_oldest_first_then_the_marker()
    {
        var older = await Gateway.CreateAsync(Requests.Create("older"));
        Gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        var newer = await Gateway.CreateAsync(Requests.Create("newer"));
        var cancelled = await Gateway.CreateAsync(Requests.Create("cancelled"));
        await Gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = cancelled.PaymentId }, cancellationToken: Ct);

        using var watch = new TerminalWatch(Gateway.Payments, "till-1");
        var first = await watch.NextAsync();
        var second = await watch.NextAsync();
        var marker = await watch.NextAsync();

        Assert.Equal([older.PaymentId, newer.PaymentId], [first.Payment.PaymentId, second.Payment.PaymentId]);
        Assert.All([first, second], m => Assert.Equal(State.Pending, m.Payment.State));
        Assert.All([first, second], m => Assert.Empty(m.Cursor)); // not resume points: the marker is
        Assert.False(marker.CaughtUp.Resumed);
        Assert.NotEmpty(marker.Cursor);
    }

    [Fact]
    public async Task A_stream_resumed_with_its_last_cursor_is_shown_exactly_the_changes_it_missed_then_live_ones()
    {
        var sale = await Gateway.CreateAsync(Requests.Create("sale-1"));
        string cursor;
        using (var first = new TerminalWatch(Gateway.Payments, "till-1"))
        {
            Assert.Equal(sale.PaymentId, (await first.NextAsync()).Payment.PaymentId);
            cursor = (await first.NextAsync()).Cursor;
        }

        // While nobody watches: the sale is paid, another is created, another terminal sells, a check finds nothing.
        await Gateway.PayAsync(sale.Khqr);
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        await Gateway.Store.SavedAsync(sale.PaymentId, p => p.State == Bakong.Payments.PaymentState.Paid);
        var next = await Gateway.CreateAsync(Requests.Create("sale-2"));
        await Gateway.CreateAsync(Requests.Create("elsewhere", terminal: "till-2"));

        using var resumed = new TerminalWatch(Gateway.Payments, "till-1", cursor);
        var paid = await resumed.NextAsync();
        var created = await resumed.NextAsync();
        var marker = await resumed.NextAsync();
        Assert.Equal((sale.PaymentId, State.Paid), (paid.Payment.PaymentId, paid.Payment.State));
        Assert.Equal((next.PaymentId, State.Pending), (created.Payment.PaymentId, created.Payment.State));
        Assert.True(marker.CaughtUp.Resumed);
        Assert.Equal(created.Cursor, marker.Cursor);

        await Gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = next.PaymentId }, cancellationToken: Ct);
        var live = await resumed.NextAsync();
        Assert.Equal((next.PaymentId, State.Cancelled), (live.Payment.PaymentId, live.Payment.State));
        var third = await Gateway.CreateAsync(Requests.Create("sale-3"));
        Assert.Equal(third.PaymentId, (await resumed.NextAsync()).Payment.PaymentId); // nothing shown twice in between

        // Resuming from the last cursor again: nothing was missed, nothing is repeated.
        using var again = new TerminalWatch(Gateway.Payments, "till-1", live.Cursor);
        Assert.Equal(third.PaymentId, (await again.NextAsync()).Payment.PaymentId);
        Assert.True((await again.NextAsync()).CaughtUp.Resumed);
    }

    [Fact]
    public async Task A_cursor_of_an_earlier_run_of_the_gateway_starts_over_from_the_current_state_not_an_error()
    {
        var pending = await Gateway.CreateAsync(Requests.Create("sale-1"));
        const string EarlierRun = "t1.0123456789abcdef.5.";
        var cursor = EarlierRun + Bakong.Payments.Watching.TerminalCursor.TagOf("till-1").ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

        using var watch = new TerminalWatch(Gateway.Payments, "till-1", cursor);
        Assert.Equal(pending.PaymentId, (await watch.NextAsync()).Payment.PaymentId);
        Assert.False((await watch.NextAsync()).CaughtUp.Resumed);
    }

    [Theory]
    [InlineData("not-a-cursor")]
    [InlineData("t1.0123456789abcdef.5.zz")]
    public async Task A_cursor_the_gateway_did_not_issue_is_invalid_argument_naming_cursor(string cursor)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => new TerminalWatch(Gateway.Payments, "till-1", cursor).NextAsync());

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("cursor", Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.DoesNotContain(cursor, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_terminals_cursor_and_a_malformed_terminal_id_are_invalid_argument()
    {
        string cursor;
        using (var other = new TerminalWatch(Gateway.Payments, "till-2"))
        {
            cursor = (await other.NextAsync()).Cursor;
        }

        var foreign = await Assert.ThrowsAsync<RpcException>(() => new TerminalWatch(Gateway.Payments, "till-1", cursor).NextAsync());
        var malformed = await Assert.ThrowsAsync<RpcException>(() => new TerminalWatch(Gateway.Payments, "till 1").NextAsync());

        Assert.Equal("cursor", Assert.Single(foreign.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal("terminal_id", Assert.Single(malformed.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task Terminal_watches_count_against_the_per_caller_watch_cap_with_payment_watches()
    {
        Gateway.Settings["Limits:MaxWatchesPerCaller"] = "2";
        var payment = await Gateway.CreateAsync(Requests.Create("watched"));
        using var paymentWatch = Gateway.Watch(payment.PaymentId);
        await paymentWatch.NextAsync();
        using var terminalWatch = new TerminalWatch(Gateway.Payments, "till-1");
        await terminalWatch.NextAsync();
        await terminalWatch.NextAsync();

        var refused = await Assert.ThrowsAsync<RpcException>(() => new TerminalWatch(Gateway.Payments, "till-2").NextAsync());
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.NotNull(refused.GetRpcStatus()!.GetDetail<RetryInfo>());
    }
}

/// <summary>Who may watch which terminal (Auth:Mode ApiKeys).</summary>
public sealed class WatchTerminalAccessTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = ApiKeys.Gateway();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_kiosk_key_watches_only_its_own_terminal_and_an_operator_any()
    {
        var kiosk = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Kiosk, "K-1"));
        var operatorPayments = _gateway.PaymentsAs(_gateway.AddClient(ClientRole.Operator));

        var refused = await Assert.ThrowsAsync<RpcException>(() => new TerminalWatch(kiosk, "K-2").NextAsync());
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("terminal_id", refused.Status.Detail, StringComparison.Ordinal);

        using var own = new TerminalWatch(kiosk, "K-1");
        Assert.Equal(WatchTerminalResponse.EventOneofCase.CaughtUp, (await own.NextAsync()).EventCase);
        using var any = new TerminalWatch(operatorPayments, "K-2");
        Assert.Equal(WatchTerminalResponse.EventOneofCase.CaughtUp, (await any.NextAsync()).EventCase);
    }
}

/// <summary>One <c>WatchTerminal</c> stream read as a display reads it; reads fail instead of hanging.</summary>
internal sealed class TerminalWatch(PaymentService.PaymentServiceClient client, string terminalId, string cursor = "") : IDisposable
{
    private readonly AsyncServerStreamingCall<WatchTerminalResponse> _call = client.WatchTerminal(
        new WatchTerminalRequest { TerminalId = terminalId, Cursor = cursor }, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>The next message, or a failure if the stream ends or nothing comes within <see cref="GatewayFactory.Timeout"/>.</summary>
    public async Task<WatchTerminalResponse> NextAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(await _call.ResponseStream.MoveNext(ct).WaitAsync(GatewayFactory.Timeout, ct), "the stream ended");
        return _call.ResponseStream.Current;
    }

    public void Dispose() => _call.Dispose();
}
