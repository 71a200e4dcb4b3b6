using System.Net;
using Bakong.Gateway.Tests.Support;
using Bakong.OpenApi.Storage;
using Bakong.Payments.Storage;
using Bakong.Grpc.Payments.V1;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>
/// A gateway stopped and a new one started on the same <c>Storage:Path</c> (the in-process sandbox is new too, as a
/// real Bakong would not be, so the customer pays after the restart): payments, schedules and outbox survive.
/// </summary>
public sealed class RestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_a_restart_every_payment_is_still_there_and_a_pending_one_resumes_polling_on_its_own_and_settles()
    {
        var first = new GatewayFactory { KeepStorage = true };
        Payment paid, cancelled, pending;
        Bakong.Payments.Payment pendingStored;
        try
        {
            paid = await first.CreatePaidAsync("restart-paid");
            var toCancel = await first.CreateAsync(Requests.Create("restart-cancelled"));
            cancelled = (await first.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = toCancel.PaymentId }, cancellationToken: Ct)).Payment;
            var (created, firstWatch) = await first.CreateCheckedAsync(Requests.Create("restart-pending"));
            firstWatch.Dispose();
            pending = await first.GetAsync(created.PaymentId);
            pendingStored = (await first.Store.GetAsync(pending.PaymentId, Ct))!;
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = new GatewayFactory(first.StorageDirectory, first.Clock.GetUtcNow().AddMinutes(1));

        // Nothing creates or notifies: the poller finds the pending payment due from its stored next check time.
        var resumed = await second.Store.SavedAsync(pending.PaymentId, p => p.CheckCount == pendingStored.CheckCount + 1);
        Assert.Equal(PaymentState.Pending, resumed.State);
        Assert.Equal(paid, await second.GetAsync(paid.PaymentId));
        Assert.Equal(paid, await second.CreateAsync(Requests.Create("restart-paid"))); // the request id is still known
        Assert.Equal(cancelled, await second.GetAsync(cancelled.PaymentId));
        var listed = await second.Payments.ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct);
        Assert.Equal(3, listed.Payments.Count);

        using var watch = second.Watch(pending.PaymentId);
        var shown = await watch.NextAsync();
        Assert.Equal((pending.Khqr, pending.Md5, pending.BillNumber, pending.ExpireTime), (shown.Khqr, shown.Md5, shown.BillNumber, shown.ExpireTime));
        await second.PayAsync(pending.Khqr);
        await second.AdvanceToNextCheckAsync(pending.PaymentId);
        var settled = await watch.SettledAsync();

        Assert.Equal(State.Paid, settled.State);
        Assert.True(settled.Version > pending.Version);
        await watch.EndsAsync();
    }

    [Fact]
    public async Task A_payment_whose_qr_expired_while_the_gateway_was_down_gets_its_final_check_at_restart_and_expires()
    {
        var first = new GatewayFactory { KeepStorage = true };
        Payment pending;
        try
        {
            var (created, watch) = await first.CreateCheckedAsync(Requests.Create("down-at-expiry"));
            watch.Dispose();
            pending = created;
        }
        finally
        {
            await first.DisposeAsync();
        }

        var restartAt = pending.ExpireTime.ToDateTimeOffset().AddMinutes(1);
        await using var second = new GatewayFactory(first.StorageDirectory, restartAt);

        var expired = await second.Store.SavedAsync(pending.PaymentId, p => p.State == PaymentState.Expired);

        Assert.Equal(restartAt, expired.SettleTime);
        Assert.Equal(restartAt.AddMinutes(5), expired.NextCheckTime);
        Assert.Equal(State.Expired, (await second.GetAsync(pending.PaymentId)).State);
    }

    [Fact]
    public async Task A_webhook_the_receiver_refused_before_a_restart_is_delivered_after_it_with_the_same_event_id_and_body()
    {
        var first = new GatewayFactory { KeepStorage = true };
        first.EnableWebhooks();
        first.Webhooks.Respond = _ => HttpStatusCode.BadGateway;
        ReceivedWebhook refused;
        Payment paid;
        try
        {
            paid = await first.CreatePaidAsync("restart-webhook");
            refused = await first.Webhooks.NextAsync();
            await first.Store.WaitForAsync(w => w.Kind == StoreWriteKind.OutboxFailed && w.EventId == refused.Id);
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = new GatewayFactory(first.StorageDirectory, first.Clock.GetUtcNow().AddMinutes(1));
        second.EnableWebhooks();
        _ = second.Services; // start it: nothing else is asked of it before the delivery

        var delivered = await second.Webhooks.NextAsync();
        await second.Store.WaitForAsync(w => w.Kind == StoreWriteKind.OutboxDelivered && w.EventId == refused.Id);

        Assert.Equal((refused.Id, "payment.paid", paid.Version), (delivered.Id, delivered.Type, delivered.Version));
        Assert.Equal(refused.Body, delivered.Body);
        Assert.Single(second.Webhooks.All);
        var entry = Assert.Single((await second.Store.GetAsync(paid.PaymentId, Ct))!.Outbox);
        Assert.Equal(2, entry.Attempts);
    }

    [Fact]
    public async Task Outcomes_reached_while_webhooks_were_off_are_each_delivered_once_a_restart_turns_them_on()
    {
        var first = new GatewayFactory { KeepStorage = true };
        string[] expected;
        try
        {
            var paid = await first.CreatePaidAsync("webhooks-off-paid");
            var cancelled = (await first.Payments.CancelPaymentAsync(
                new CancelPaymentRequest { PaymentId = (await first.CreateAsync(Requests.Create("webhooks-off-cancelled"))).PaymentId },
                cancellationToken: Ct)).Payment;
            expected =
            [
                (await first.Store.GetAsync(paid.PaymentId, Ct))!.Outbox.Single().EventId,
                (await first.Store.GetAsync(cancelled.PaymentId, Ct))!.Outbox.Single().EventId,
            ];
            Assert.Empty(first.Webhooks.All);
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = new GatewayFactory(first.StorageDirectory, first.Clock.GetUtcNow().AddMinutes(1));
        second.EnableWebhooks();
        _ = second.Services;

        foreach (var id in expected)
        {
            await second.Store.WaitForAsync(w => w.Kind == StoreWriteKind.OutboxDelivered && w.EventId == id);
        }

        // Two payments' entries go out in parallel, so in either order.
        Assert.Equal(expected.Order(), second.Webhooks.All.Select(r => r.Id).Order());
    }

    [Fact]
    public async Task A_second_gateway_on_a_store_another_gateway_holds_does_not_start()
    {
        await using var running = new GatewayFactory();
        var created = await running.CreateAsync(Requests.Create("held"));
        await using var intruder = new GatewayFactory(running.StorageDirectory, GatewayFactory.Start);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => intruder.CreateAsync(Requests.Create("intruder")));

        Assert.Contains(Causes(e), c => c is StoreLockedException);
        Assert.Equal(State.Pending, (await running.GetAsync(created.PaymentId)).State);
    }

    private static IEnumerable<Exception> Causes(Exception e)
    {
        for (Exception? c = e; c is not null; c = c.InnerException)
        {
            yield return c;
        }
    }
}
