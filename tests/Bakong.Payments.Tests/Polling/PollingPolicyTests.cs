using Bakong.OpenApi.Client;
using Bakong.Payments.Polling;

namespace Bakong.Payments.Tests.Polling;

/// <summary>
/// The poller's rules without the loop: each branch of what an answer (or a fault) does to a payment, with the default
/// options (checks every 2 s for a minute, 5 s until 3 minutes, then 10 s; grace 5 s) and a 5-minute QR.
/// </summary>
public sealed class PollingPolicyTests
{
    private static readonly DateTimeOffset s_t0 = TestPayments.Start;
    private static readonly DateTimeOffset s_expiry = s_t0 + TimeSpan.FromMinutes(5);
    private static readonly TimeSpan s_faultDelay = TimeSpan.FromSeconds(5);

    private readonly PollingPolicy _policy = new(new PaymentPollerOptions());

    private static BakongResult<TransactionCheck> NotFound { get; } =
        BakongResult<TransactionCheck>.Success(new TransactionCheck.NotFound("Transaction could not be found."), "not found");

    private static BakongResult<TransactionCheck> Fault { get; } = Faults.Of(BakongFaultKind.Timeout);

    private static BakongResult<TransactionCheck> Paid(decimal amount = 1.50m) =>
        BakongResult<TransactionCheck>.Success(new TransactionCheck.Paid(TestPayments.Transaction(amount)), "Success");

    private static BakongResult<TransactionCheck> FailedTransfer { get; } =
        BakongResult<TransactionCheck>.Success(new TransactionCheck.Failed("Transaction failed."), "Transaction failed.");

    // ---- Pending ---------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(10, 12)] // fast: every 2 s for the first minute
    [InlineData(90, 95)] // medium: every 5 s until 3 minutes
    [InlineData(200, 210)] // slow: every 10 s after that
    public void Nothing_found_on_a_pending_payment_schedules_the_next_check_by_its_age(int atSecond, int nextSecond)
    {
        var payment = Pending();

        var result = _policy.Apply(payment, NotFound, s_t0.AddSeconds(atSecond), s_faultDelay);

        Assert.Equal(TransitionOutcome.Applied, result.Outcome);
        Assert.Equal((PaymentState.Pending, 1, s_t0.AddSeconds(atSecond)), (payment.State, payment.CheckCount, payment.LastCheckTime));
        Assert.Equal(s_t0.AddSeconds(nextSecond), payment.NextCheckTime);
        Assert.Empty(payment.UnsavedEvents);
    }

    [Fact]
    public void The_backoff_never_skips_the_expiry()
    {
        var payment = Pending();

        _policy.Apply(payment, NotFound, s_expiry.AddSeconds(-3), s_faultDelay);

        Assert.Equal(s_expiry, payment.NextCheckTime);
    }

    [Fact]
    public void The_check_at_the_expiry_leaves_it_pending_for_one_more_check_after_the_grace()
    {
        var payment = Pending();

        _policy.Apply(payment, NotFound, s_expiry, s_faultDelay);

        Assert.Equal((PaymentState.Pending, s_expiry.AddSeconds(5)), (payment.State, payment.NextCheckTime));
    }

    [Fact]
    public void Nothing_found_at_the_final_check_expires_it_and_schedules_reconciliation()
    {
        var payment = Pending();
        var final = s_expiry.AddSeconds(5);

        _policy.Apply(payment, NotFound, final, s_faultDelay);

        Assert.Equal(PaymentState.Expired, payment.State);
        Assert.Equal([PaymentEventType.Expired], payment.UnsavedEvents.Select(e => e.Type));
        Assert.Equal(final + ReconciliationSchedule.Default[0], payment.NextCheckTime);
    }

    [Theory]
    [InlineData(1, 10)] // a short fault delay never checks sooner than the schedule would
    [InlineData(30, 30)] // a long one waits longer than the schedule
    public void A_fault_on_a_pending_payment_changes_no_state_and_retries_after_the_longer_of_the_delay_and_the_interval(
        int faultSeconds, int nextSecond)
    {
        var payment = Pending();
        var now = s_t0.AddSeconds(200); // slow interval: 10 s

        _policy.Apply(payment, Fault, now, TimeSpan.FromSeconds(faultSeconds));

        Assert.Equal((PaymentState.Pending, 1), (payment.State, payment.CheckCount));
        Assert.Equal(now.AddSeconds(nextSecond), payment.NextCheckTime);
        Assert.Empty(payment.UnsavedEvents);
    }

    [Fact]
    public void A_fault_at_the_final_check_does_not_expire_the_payment()
    {
        var payment = Pending();
        var final = s_expiry.AddSeconds(5);

        _policy.Apply(payment, Fault, final, s_faultDelay);

        Assert.Equal((PaymentState.Pending, final.AddSeconds(10)), (payment.State, payment.NextCheckTime)); // the slow interval
    }

    [Fact]
    public void A_transfer_pays_a_pending_payment_and_ends_its_checks()
    {
        var payment = Pending();

        _policy.Apply(payment, Paid(), s_t0.AddSeconds(4), s_faultDelay);

        Assert.Equal((PaymentState.Paid, null), (payment.State, payment.NextCheckTime));
        Assert.Equal([PaymentEventType.Paid], payment.UnsavedEvents.Select(e => e.Type));
    }

    [Fact]
    public void A_transfer_found_at_the_final_check_pays_it_rather_than_expiring_it()
    {
        var payment = Pending();

        _policy.Apply(payment, Paid(), s_expiry.AddSeconds(5), s_faultDelay);

        Assert.Equal(PaymentState.Paid, payment.State);
    }

    [Fact]
    public void A_failed_transfer_fails_a_pending_payment()
    {
        var payment = Pending();

        _policy.Apply(payment, FailedTransfer, s_t0.AddSeconds(4), s_faultDelay);

        Assert.Equal((PaymentState.Failed, null, "Transaction failed."), (payment.State, payment.NextCheckTime, payment.FailureReason));
    }

    [Fact]
    public void A_mismatched_transfer_flags_a_pending_payment_for_review_and_keeps_its_schedule()
    {
        var payment = Pending();

        _policy.Apply(payment, Paid(amount: 1.00m), s_t0.AddSeconds(10), s_faultDelay);

        Assert.Equal((PaymentState.Pending, s_t0.AddSeconds(12)), (payment.State, payment.NextCheckTime));
        Assert.True(payment.NeedsReview);
        Assert.Equal([PaymentEventType.ReviewRequired], payment.UnsavedEvents.Select(e => e.Type));
    }

    [Fact]
    public void A_mismatched_transfer_at_the_final_check_still_expires_the_payment_with_its_review()
    {
        var payment = Pending();

        _policy.Apply(payment, Paid(amount: 1.00m), s_expiry.AddSeconds(5), s_faultDelay);

        Assert.Equal((PaymentState.Expired, true), (payment.State, payment.NeedsReview));
        Assert.Equal([PaymentEventType.ReviewRequired, PaymentEventType.Expired], payment.UnsavedEvents.Select(e => e.Type));
    }

    [Fact]
    public void A_static_qr_answer_only_records_the_check()
    {
        var payment = Pending();
        var staticQr = BakongResult<TransactionCheck>.Success(new TransactionCheck.StaticQrUnsupported("static"), "static");

        _policy.Apply(payment, staticQr, s_t0.AddSeconds(10), s_faultDelay);

        Assert.Equal((PaymentState.Pending, 1, s_t0.AddSeconds(12)), (payment.State, payment.CheckCount, payment.NextCheckTime));
    }

    // ---- Reconciliation (expired, cancelled) -------------------------------------------------------------------------

    [Fact]
    public void Before_its_reconciliation_slot_an_answer_changes_nothing_but_money_found()
    {
        var now = s_t0.AddSeconds(4);
        foreach (var answer in new[] { NotFound, Fault, FailedTransfer })
        {
            var cancelled = Cancelled(s_t0.AddSeconds(2));

            Assert.Equal(TransitionOutcome.Unchanged, _policy.Apply(cancelled, answer, now, s_faultDelay).Outcome);
            Assert.Equal((PaymentState.Cancelled, s_t0.AddSeconds(2) + ReconciliationSchedule.Default[0]), (cancelled.State, cancelled.NextCheckTime));
        }

        var paidMeanwhile = Cancelled(s_t0.AddSeconds(2));
        _policy.Apply(paidMeanwhile, Paid(), now, s_faultDelay);
        Assert.Equal(PaymentState.PaidLate, paidMeanwhile.State);
    }

    [Fact]
    public void Nothing_found_in_a_due_reconciliation_slot_moves_to_the_next_slot()
    {
        var cancelledAt = s_t0.AddSeconds(2);
        var payment = Cancelled(cancelledAt);
        var slot = payment.NextCheckTime!.Value;

        _policy.Apply(payment, NotFound, slot, s_faultDelay);

        Assert.Equal((PaymentState.Cancelled, 1), (payment.State, payment.ReconciliationCount));
        Assert.Equal(cancelledAt + ReconciliationSchedule.Default[1], payment.NextCheckTime);
    }

    [Fact]
    public void A_fault_in_a_due_reconciliation_slot_postpones_it_without_counting_it()
    {
        var payment = Cancelled(s_t0.AddSeconds(2));
        var slot = payment.NextCheckTime!.Value;

        _policy.Apply(payment, Fault, slot, s_faultDelay);

        Assert.Equal((0, slot + s_faultDelay), (payment.ReconciliationCount, payment.NextCheckTime));
    }

    [Fact]
    public void A_transfer_in_a_due_reconciliation_slot_makes_it_paid_late_never_paid()
    {
        var payment = Expired();

        _policy.Apply(payment, Paid(), payment.NextCheckTime!.Value, s_faultDelay);

        Assert.Equal((PaymentState.PaidLate, null), (payment.State, payment.NextCheckTime));
    }

    [Fact]
    public void A_mismatched_transfer_in_a_due_reconciliation_slot_is_flagged_and_the_slot_counted()
    {
        var payment = Expired();

        _policy.Apply(payment, Paid(amount: 1.00m), payment.NextCheckTime!.Value, s_faultDelay);

        Assert.Equal((PaymentState.Expired, true, 1), (payment.State, payment.NeedsReview, payment.ReconciliationCount));
    }

    [Fact]
    public void A_failed_transfer_in_a_due_reconciliation_slot_changes_nothing_but_the_count()
    {
        var payment = Expired();

        _policy.Apply(payment, FailedTransfer, payment.NextCheckTime!.Value, s_faultDelay);

        Assert.Equal((PaymentState.Expired, 1), (payment.State, payment.ReconciliationCount));
        Assert.Empty(payment.UnsavedEvents);
    }

    [Fact]
    public void A_settled_payment_is_left_as_it_is()
    {
        var payment = Pending();
        payment.Settle(TestPayments.Transaction(), s_t0.AddSeconds(4));
        payment.AcceptChanges();

        Assert.Equal(TransitionOutcome.Unchanged, _policy.Apply(payment, NotFound, s_t0.AddSeconds(6), s_faultDelay).Outcome);
        Assert.False(payment.HasUnsavedChanges);
    }

    /// <summary>A pending payment created at <see cref="s_t0"/>, as the store returns it (no unsaved changes).</summary>
    private static Payment Pending()
    {
        var payment = TestPayments.New(s_t0);
        payment.AcceptChanges();
        return payment;
    }

    private static Payment Cancelled(DateTimeOffset at)
    {
        var payment = Pending();
        Assert.True(payment.Cancel(at).IsApplied);
        payment.AcceptChanges();
        return payment;
    }

    private static Payment Expired()
    {
        var payment = Pending();
        Assert.True(payment.Expire(s_expiry.AddSeconds(5)).IsApplied);
        payment.AcceptChanges();
        return payment;
    }
}
