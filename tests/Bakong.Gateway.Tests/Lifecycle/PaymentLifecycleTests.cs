using System.Globalization;
using Bakong.Khqr;
using Bakong.Grpc.Payments.V1;
using Bakong.Sandbox;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>
/// Every state and transition of a payment over gRPC, driven through the real poller, Bakong client and in-process
/// sandbox on a fake clock, each watched by a <c>WatchPayment</c> stream (PENDING → PAID is in PaymentServiceTests).
/// </summary>
public sealed class PaymentLifecycleTests : GatewayTest
{
    private static readonly TimeSpan s_grace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_reconciliation = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_transfer_bakong_reports_failed_makes_the_payment_failed_and_ends_its_watch()
    {
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create("declined"));
        using var _ = watch;

        await Gateway.FailAsync(created.Khqr);
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var failed = await watch.SettledAsync();

        Assert.Equal(State.Failed, failed.State);
        Assert.Equal(GatewayFactory.Start.AddSeconds(2), failed.SettleTime.ToDateTimeOffset());
        Assert.Null(failed.BakongTransaction);
        Assert.False(failed.NeedsReview);
        AssertIncreasing(watch.Versions);
        await watch.EndsAsync();
        Assert.Equal(failed, await Gateway.GetAsync(created.PaymentId));

        var stored = await StoredAsync(created.PaymentId);
        Assert.Equal([PaymentEventType.Created, PaymentEventType.Failed], stored.Events.Select(e => e.Type));
        Assert.Equal("payment.failed", Assert.Single(stored.Outbox).Type);
        Assert.Null(stored.NextCheckTime);
        var cancel = await Assert.ThrowsAsync<RpcException>(() => Gateway.Payments.CancelPaymentAsync(
            new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, cancel.StatusCode);
    }

    [Fact]
    public async Task Ten_minutes_is_the_longest_expiry_and_it_is_the_qrs_tag_99_expiry_to_the_millisecond()
    {
        var longest = Requests.Create("ten-minutes");
        longest.ExpiresIn = Duration.FromTimeSpan(TimeSpan.FromMinutes(10));
        var tooLong = Requests.Create("eleven-minutes");
        tooLong.ExpiresIn = Duration.FromTimeSpan(TimeSpan.FromMinutes(11));

        var created = await Gateway.CreateAsync(longest);
        var e = await Assert.ThrowsAsync<RpcException>(() => Gateway.Payments.CreatePaymentAsync(tooLong, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(GatewayFactory.Start.AddMinutes(10), created.ExpireTime.ToDateTimeOffset());
        var tag99 = long.Parse(KhqrDecoder.Decode(created.Khqr).ExpirationTimestamp!, CultureInfo.InvariantCulture);
        Assert.Equal(created.ExpireTime.ToDateTimeOffset().ToUnixTimeMilliseconds(), tag99);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("expires_in", Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task A_usd_payment_paid_in_the_sandbox_settles_as_paid_with_its_cents()
    {
        var request = Requests.Create("usd-paid");
        request.Amount = new Money { CurrencyCode = "USD", Units = 1, Nanos = 250_000_000 };
        var (created, watch) = await Gateway.CreateCheckedAsync(request);
        using var _ = watch;

        await Gateway.PayAsync(created.Khqr);
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await watch.SettledAsync();

        Assert.Equal(State.Paid, paid.State);
        Assert.False(paid.NeedsReview);
        Assert.Equal(("USD", 1L, 250_000_000), (paid.BakongTransaction.Amount.CurrencyCode, paid.BakongTransaction.Amount.Units, paid.BakongTransaction.Amount.Nanos));
    }

    [Fact]
    public async Task Sixty_payments_paid_at_once_all_settle_in_one_poll_through_batched_list_calls_without_a_fault()
    {
        var created = new List<Payment>();
        for (var i = 0; i < 60; i++)
        {
            created.Add(await Gateway.CreateAsync(Requests.Create("batch-" + i)));
        }

        foreach (var payment in created)
        {
            await Gateway.Store.SavedAsync(payment.PaymentId, p => p.CheckCount == 1);
            await Gateway.PayAsync(payment.Khqr);
        }

        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        foreach (var payment in created)
        {
            var paid = await Gateway.Store.SavedAsync(payment.PaymentId, p => p.State != PaymentState.Pending);
            Assert.Equal((PaymentState.Paid, 2), (paid.State, paid.CheckCount));
        }

        Assert.Empty(Gateway.Logs.Named("PollerCheckFault"));
        Assert.Empty(Gateway.Logs.Named("BakongMd5ListRefused"));
    }

    [Fact]
    public async Task An_unpaid_payment_is_checked_at_expiry_and_expires_only_after_the_final_check_after_the_grace()
    {
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create("walked-off"));
        using var _ = watch;
        var expiry = created.ExpireTime.ToDateTimeOffset();

        Gateway.AdvanceAndPollTo(expiry);
        var atExpiry = await Gateway.Store.SavedAsync(created.PaymentId, p => p.LastCheckTime == expiry);

        Assert.Equal(PaymentState.Pending, atExpiry.State);
        Assert.Equal(expiry + s_grace, atExpiry.NextCheckTime);

        // The check at expiry changed nothing a watcher sees: the next message is the expiry itself.
        Gateway.AdvanceAndPoll(s_grace);
        var expired = await watch.NextAsync();

        Assert.Equal(State.Expired, expired.State);
        Assert.Equal(expiry + s_grace, expired.SettleTime.ToDateTimeOffset());
        Assert.Equal(atExpiry.Version + 2, expired.Version); // the final check's bookkeeping and the transition, one save
        await watch.EndsAsync();
        var stored = await StoredAsync(created.PaymentId);
        Assert.Equal([PaymentEventType.Created, PaymentEventType.Expired], stored.Events.Select(e => e.Type));
        Assert.Equal("payment.expired", Assert.Single(stored.Outbox).Type);
        Assert.Equal(3, stored.CheckCount);
        Assert.Equal(expiry + s_grace + s_reconciliation, stored.NextCheckTime);
    }

    [Fact]
    public async Task A_transfer_bakong_acknowledges_during_the_grace_makes_the_payment_paid_not_expired()
    {
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create("last-second"));
        using var _ = watch;
        var expiry = created.ExpireTime.ToDateTimeOffset();

        // Paid now, but Bakong only reports it 2 s after the QR's expiry: the check at expiry does not see it yet.
        var acknowledged = expiry.AddSeconds(2);
        await Gateway.PayAsync(new SandboxPayRequest { Qr = created.Khqr, DelayMs = (long)(acknowledged - Gateway.Clock.GetUtcNow()).TotalMilliseconds });
        Gateway.AdvanceAndPollTo(expiry);
        Assert.Equal(PaymentState.Pending, (await Gateway.Store.SavedAsync(created.PaymentId, p => p.LastCheckTime == expiry)).State);

        Gateway.AdvanceAndPoll(s_grace);
        var settled = await watch.SettledAsync();

        Assert.Equal(State.Paid, settled.State);
        Assert.Equal(expiry + s_grace, settled.SettleTime.ToDateTimeOffset());
        Assert.Equal(acknowledged, settled.BakongTransaction.AcknowledgeTime.ToDateTimeOffset());
        Assert.Equal(created.Amount, settled.BakongTransaction.Amount);
        await watch.EndsAsync();
        var stored = await StoredAsync(created.PaymentId);
        Assert.Equal([PaymentEventType.Created, PaymentEventType.Paid], stored.Events.Select(e => e.Type));
        Assert.Null(stored.NextCheckTime);
    }

    [Fact]
    public async Task Money_for_a_cancelled_payment_is_found_by_the_five_minute_reconciliation_and_becomes_paid_late()
    {
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create("changed-mind"));
        using var _ = watch;
        var cancelled = (await Gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;
        Assert.Equal(cancelled, await watch.SettledAsync());
        await watch.EndsAsync();

        // The customer had the QR open and pays anyway.
        await Gateway.PayAsync(created.Khqr);
        var cancelTime = cancelled.SettleTime.ToDateTimeOffset();
        Assert.Equal(cancelTime + s_reconciliation, (await StoredAsync(created.PaymentId)).NextCheckTime);
        Gateway.AdvanceAndPollTo(cancelTime + s_reconciliation);
        await Gateway.Store.SavedAsync(created.PaymentId, p => p.State == PaymentState.PaidLate);

        var late = await Gateway.GetAsync(created.PaymentId);
        Assert.Equal(State.PaidLate, late.State);
        Assert.Equal(cancelled.Version + 1, late.Version);
        Assert.Equal(cancelTime + s_reconciliation, late.SettleTime.ToDateTimeOffset());
        Assert.Equal(created.Amount, late.BakongTransaction.Amount);

        // A client that wants late money watches again from the version it has and is shown the change.
        using var again = Gateway.Watch(created.PaymentId, cancelled.Version);
        Assert.Equal(late, await again.NextAsync());
        await again.EndsAsync();
        var stored = await StoredAsync(created.PaymentId);
        Assert.Equal([PaymentEventType.Created, PaymentEventType.Cancelled, PaymentEventType.PaidLate], stored.Events.Select(e => e.Type));
        Assert.Equal(["payment.cancelled", "payment.paid_late"], stored.Outbox.Select(o => o.Type));
        Assert.Null(stored.NextCheckTime);
    }

    [Fact]
    public async Task Money_for_an_expired_payment_is_not_looked_for_before_five_minutes_and_then_becomes_paid_late_never_paid()
    {
        var expired = await ExpireAsync("too-slow");
        var expiredAt = expired.SettleTime.ToDateTimeOffset();
        await Gateway.PayAsync(new SandboxPayRequest { Qr = expired.Khqr, Force = true });

        // One second early: a payment created now is checked in a pass that finds the expired one not due yet.
        Gateway.AdvanceAndPollTo(expiredAt + s_reconciliation - TimeSpan.FromSeconds(1));
        var sentinel = await Gateway.CreateAsync(Requests.Create("sentinel"));
        await Gateway.Store.SavedAsync(sentinel.PaymentId, p => p.CheckCount == 1);
        var early = await Gateway.GetAsync(expired.PaymentId);
        Assert.Equal((State.Expired, expired.Version), (early.State, early.Version));

        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(1));
        await Gateway.Store.SavedAsync(expired.PaymentId, p => p.State == PaymentState.PaidLate);

        var late = await Gateway.GetAsync(expired.PaymentId);
        Assert.Equal(State.PaidLate, late.State);
        Assert.Equal(expired.Version + 1, late.Version);
        Assert.Equal(expiredAt + s_reconciliation, late.SettleTime.ToDateTimeOffset());
        var stored = await StoredAsync(expired.PaymentId);
        Assert.Equal([PaymentEventType.Created, PaymentEventType.Expired, PaymentEventType.PaidLate], stored.Events.Select(e => e.Type));
        Assert.DoesNotContain(stored.Events, e => e.Type == PaymentEventType.Paid);
        await Gateway.Logs.WaitForAsync("PaymentPaidLate");
        Assert.Single(Gateway.Logs.Named("PaymentPaidLate"));
    }

    [Fact]
    public async Task An_expired_payment_nobody_paid_is_rechecked_on_the_reconciliation_schedule_and_then_left_alone()
    {
        var expired = await ExpireAsync("never-paid");
        var expiredAt = expired.SettleTime.ToDateTimeOffset();
        TimeSpan[] schedule = [TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(24)];

        for (var i = 0; i < schedule.Length; i++)
        {
            Gateway.AdvanceAndPollTo(expiredAt + schedule[i]);
            var checkedNow = await Gateway.Store.SavedAsync(expired.PaymentId, p => p.ReconciliationCount == i + 1);
            Assert.Equal(PaymentState.Expired, checkedNow.State);
            Assert.Equal(i + 1 < schedule.Length ? expiredAt + schedule[i + 1] : null, checkedNow.NextCheckTime);
        }

        var final = await Gateway.GetAsync(expired.PaymentId);
        Assert.Equal(State.Expired, final.State);
        Assert.Equal(expired.Version + schedule.Length, final.Version);
        Assert.Single((await StoredAsync(expired.PaymentId)).Outbox);
    }

    [Theory]
    [InlineData("amount", "amount 4000 KHR, expected")]
    [InlineData("currency", "currency USD, expected KHR")]
    [InlineData("receiver", "receiving account other_shop@devb, expected demo_shop@devb")]
    public async Task A_transfer_with_the_wrong_terms_is_not_paid_but_flagged_for_review_and_the_payment_still_expires(string wrong, string reason)
    {
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create("mismatch-" + wrong, riel: 5000));
        using var _ = watch;
        await Gateway.PayAsync(wrong switch
        {
            "amount" => new SandboxPayRequest { Qr = created.Khqr, Amount = 4000 },
            "currency" => new SandboxPayRequest { Qr = created.Khqr, Currency = "USD" },
            _ => new SandboxPayRequest { Qr = created.Khqr, ToAccountId = "other_shop@devb" },
        });

        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var flagged = await watch.UntilAsync(p => p.NeedsReview);

        Assert.Equal(State.Pending, flagged.State);
        Assert.Contains(reason, flagged.ReviewReason, StringComparison.Ordinal);
        Assert.NotNull(flagged.BakongTransaction);
        Assert.Null(flagged.SettleTime);
        Assert.Single(Gateway.Logs.Named("PaymentNeedsReview"));

        // The QR keeps its schedule: it expires as unpaid, still flagged, and reconciliation never makes it paid late.
        var expiry = created.ExpireTime.ToDateTimeOffset();
        Gateway.AdvanceAndPollTo(expiry);
        Assert.Equal(PaymentState.Pending, (await Gateway.Store.SavedAsync(created.PaymentId, p => p.LastCheckTime == expiry)).State);
        Gateway.AdvanceAndPoll(s_grace);
        var expired = await watch.SettledAsync();
        Assert.Equal(State.Expired, expired.State);
        Assert.True(expired.NeedsReview);
        Assert.Equal(flagged.ReviewReason, expired.ReviewReason);
        AssertIncreasing(watch.Versions);
        await watch.EndsAsync();

        Gateway.AdvanceAndPoll(s_reconciliation);
        var reconciled = await Gateway.Store.SavedAsync(created.PaymentId, p => p.ReconciliationCount == 1);
        Assert.Equal(PaymentState.Expired, reconciled.State);
        var stored = await StoredAsync(created.PaymentId);
        Assert.Equal([PaymentEventType.Created, PaymentEventType.ReviewRequired, PaymentEventType.Expired], stored.Events.Select(e => e.Type));
        Assert.Equal(["payment.review_required", "payment.expired"], stored.Outbox.Select(o => o.Type));
        Assert.Null(stored.Transaction);
        Assert.Single(Gateway.Logs.Named("PaymentNeedsReview"));
    }

    internal static void AssertIncreasing(IReadOnlyList<long> versions)
    {
        for (var i = 1; i < versions.Count; i++)
        {
            Assert.True(versions[i] > versions[i - 1], "versions must increase: " + string.Join(", ", versions));
        }
    }

    /// <summary>Creates a payment and lets it expire unpaid (check at expiry, final check after the grace).</summary>
    private async Task<Payment> ExpireAsync(string requestId)
    {
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create(requestId));
        using var _ = watch;
        var expiry = created.ExpireTime.ToDateTimeOffset();
        Gateway.AdvanceAndPollTo(expiry);
        await Gateway.Store.SavedAsync(created.PaymentId, p => p.LastCheckTime == expiry);
        Gateway.AdvanceAndPoll(s_grace);
        var expired = await watch.SettledAsync();
        Assert.Equal(State.Expired, expired.State);
        return expired;
    }
}
