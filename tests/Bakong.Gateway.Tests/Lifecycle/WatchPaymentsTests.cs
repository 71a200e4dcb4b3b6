using Bakong.Gateway.Tests.Access;
using Bakong.Grpc.Admin.V1;
using Bakong.Grpc.Payments.V1;
using ClientRole = Bakong.Identity.ClientRole;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>
/// <c>AdminService.WatchPayments</c>, every terminal's payments on one stream: the catch-up over all terminals and its
/// marker, each change of any terminal (a terminal never seen before too) in order, resuming by cursor, the watch limit.
/// </summary>
public sealed class WatchPaymentsTests : GatewayTest
{
    [Fact]
    public async Task The_catch_up_is_every_terminals_pending_payments_then_each_change_of_any_terminal_arrives_live()
    {
        var first = await Gateway.CreateAsync(Requests.Create("till-1-sale", terminal: "till-1"));
        Gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = await Gateway.CreateAsync(Requests.Create("till-2-sale", terminal: "till-2"));
        var cancelled = await Gateway.CreateAsync(Requests.Create("till-3-cancelled", terminal: "till-3"));
        await Gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = cancelled.PaymentId }, cancellationToken: Ct);

        using var watch = new AllPaymentsWatch(new AdminService.AdminServiceClient(Gateway.Channel));
        var catchUp = new[] { await watch.NextAsync(), await watch.NextAsync() };
        var marker = await watch.NextAsync();
        Assert.Equal([first.PaymentId, second.PaymentId], catchUp.Select(m => m.Payment.PaymentId));
        Assert.All(catchUp, m => Assert.Empty(m.Cursor));
        Assert.Equal(WatchPaymentsResponse.EventOneofCase.CaughtUp, marker.EventCase);
        Assert.False(marker.CaughtUp.Resumed);
        Assert.NotEmpty(marker.Cursor);

        // A terminal nothing named before, then a payment of a terminal already seen turning PAID.
        var brandNew = await Gateway.CreateAsync(Requests.Create("till-9-sale", terminal: "till-9"));
        var created = await watch.NextAsync();
        Assert.Equal((brandNew.PaymentId, "till-9", State.Pending), (created.Payment.PaymentId, created.Payment.TerminalId, created.Payment.State));

        await Gateway.PayAsync(second.Khqr);
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await watch.UntilAsync(m => m.Payment?.State == State.Paid);
        Assert.Equal(second.PaymentId, paid.Payment.PaymentId);
        Assert.Equal(3, new[] { marker.Cursor, created.Cursor, paid.Cursor }.Distinct().Count());
    }

    [Fact]
    public async Task A_stream_resumed_with_its_last_cursor_is_shown_exactly_the_changes_of_every_terminal_it_missed()
    {
        var admin = new AdminService.AdminServiceClient(Gateway.Channel);
        var sale = await Gateway.CreateAsync(Requests.Create("sale-1", terminal: "till-1"));
        string cursor;
        using (var before = new AllPaymentsWatch(admin))
        {
            Assert.Equal(sale.PaymentId, (await before.NextAsync()).Payment.PaymentId);
            cursor = (await before.NextAsync()).Cursor;
        }

        // While nobody watches: two other terminals sell and the first sale is cancelled.
        var second = await Gateway.CreateAsync(Requests.Create("sale-2", terminal: "till-2"));
        var third = await Gateway.CreateAsync(Requests.Create("sale-3", terminal: "till-3"));
        await Gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = sale.PaymentId }, cancellationToken: Ct);

        using var resumed = new AllPaymentsWatch(admin, cursor);
        var missed = new[] { await resumed.NextAsync(), await resumed.NextAsync(), await resumed.NextAsync() };
        var marker = await resumed.NextAsync();
        Assert.Equal(
            [(second.PaymentId, State.Pending), (third.PaymentId, State.Pending), (sale.PaymentId, State.Cancelled)],
            missed.Select(m => (m.Payment.PaymentId, m.Payment.State)));
        Assert.All(missed, m => Assert.NotEmpty(m.Cursor));
        Assert.True(marker.CaughtUp.Resumed);
        Assert.Equal(missed[^1].Cursor, marker.Cursor);

        var live = await Gateway.CreateAsync(Requests.Create("sale-4", terminal: "till-4"));
        Assert.Equal(live.PaymentId, (await resumed.NextAsync()).Payment.PaymentId); // nothing repeated before it
    }

    [Fact]
    public async Task A_cursor_of_a_terminals_stream_or_one_the_gateway_did_not_issue_is_invalid_argument_naming_cursor()
    {
        var admin = new AdminService.AdminServiceClient(Gateway.Channel);
        string terminalCursor;
        using (var terminal = new TerminalWatch(Gateway.Payments, "till-1"))
        {
            terminalCursor = (await terminal.NextAsync()).Cursor;
        }

        foreach (var cursor in new[] { terminalCursor, "not-a-cursor" })
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => new AllPaymentsWatch(admin, cursor).NextAsync());
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Equal("cursor", Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
            Assert.DoesNotContain(cursor, e.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_every_terminal_stream_counts_against_the_per_caller_watch_cap_with_the_other_watches()
    {
        Gateway.Settings["Limits:MaxWatchesPerCaller"] = "2";
        var admin = new AdminService.AdminServiceClient(Gateway.Channel);
        using var terminalWatch = new TerminalWatch(Gateway.Payments, "till-1");
        await terminalWatch.NextAsync();
        using var all = new AllPaymentsWatch(admin);
        await all.NextAsync();

        var refused = await Assert.ThrowsAsync<RpcException>(() => new AllPaymentsWatch(admin).NextAsync());
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.NotNull(refused.GetRpcStatus()!.GetDetail<RetryInfo>());
    }
}

/// <summary>Who may watch every terminal (Auth:Mode ApiKeys): operators only.</summary>
public sealed class WatchPaymentsAccessTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = ApiKeys.Gateway();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_terminal_or_kiosk_key_is_permission_denied_no_key_unauthenticated_and_an_operator_watches()
    {
        var asTerminal = new AdminService.AdminServiceClient(_gateway.As("Bearer " + _gateway.AddClient(ClientRole.Terminal, "till-1")));
        var asKiosk = new AdminService.AdminServiceClient(_gateway.As("Bearer " + _gateway.AddClient(ClientRole.Kiosk, "K-1")));
        var asNobody = new AdminService.AdminServiceClient(_gateway.As(null));
        var asOperator = new AdminService.AdminServiceClient(_gateway.As("Bearer " + _gateway.AddClient(ClientRole.Operator)));

        var terminal = await Assert.ThrowsAsync<RpcException>(() => new AllPaymentsWatch(asTerminal).NextAsync());
        var kiosk = await Assert.ThrowsAsync<RpcException>(() => new AllPaymentsWatch(asKiosk).NextAsync());
        var nobody = await Assert.ThrowsAsync<RpcException>(() => new AllPaymentsWatch(asNobody).NextAsync());

        Assert.Equal(StatusCode.PermissionDenied, terminal.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, kiosk.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, nobody.StatusCode);
        using var watch = new AllPaymentsWatch(asOperator);
        Assert.Equal(WatchPaymentsResponse.EventOneofCase.CaughtUp, (await watch.NextAsync()).EventCase);
    }
}

/// <summary>One <c>WatchPayments</c> stream read as the dashboard reads it; reads fail instead of hanging.</summary>
internal sealed class AllPaymentsWatch(AdminService.AdminServiceClient client, string cursor = "") : IDisposable
{
    private readonly AsyncServerStreamingCall<WatchPaymentsResponse> _call = client.WatchPayments(
        new WatchPaymentsRequest { Cursor = cursor }, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>The next message, or a failure if the stream ends or nothing comes within <see cref="GatewayFactory.Timeout"/>.</summary>
    public async Task<WatchPaymentsResponse> NextAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(await _call.ResponseStream.MoveNext(ct).WaitAsync(GatewayFactory.Timeout, ct), "the stream ended");
        return _call.ResponseStream.Current;
    }

    /// <summary>Reads until a message matches and returns it.</summary>
    public async Task<WatchPaymentsResponse> UntilAsync(Func<WatchPaymentsResponse, bool> match)
    {
        while (true)
        {
            var next = await NextAsync();
            if (match(next))
            {
                return next;
            }
        }
    }

    public void Dispose() => _call.Dispose();
}
