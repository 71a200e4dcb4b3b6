using Bakong.OpenApi.Client;

namespace Bakong.Payments.Tests;

public sealed class PaymentTransitionTests
{
    private static readonly DateTimeOffset s_afterExpiry = TestPayments.Start + TimeSpan.FromMinutes(6);

    [Fact]
    public void A_new_payment_is_pending_at_version_one_and_due_for_a_check_at_once()
    {
        var payment = TestPayments.New();
        Assert.Equal(PaymentState.Pending, payment.State);
        Assert.Equal(1, payment.Version);
        Assert.Equal(payment.CreateTime, payment.NextCheckTime);
        var created = Assert.Single(payment.Events);
        Assert.Equal(PaymentEventType.Created, created.Type);
        Assert.Empty(payment.Outbox);
    }

    [Fact]
    public void A_matching_transfer_pays_a_pending_payment()
    {
        var payment = TestPayments.New();
        var now = TestPayments.Start.AddSeconds(30);
        var result = payment.Settle(TestPayments.Transaction(), now);

        Assert.Equal(TransitionOutcome.Applied, result.Outcome);
        Assert.Equal(PaymentState.Paid, payment.State);
        Assert.Equal(2, payment.Version);
        Assert.Equal(now, payment.SettleTime);
        Assert.Null(payment.NextCheckTime);
        Assert.Equal("aa11", payment.Transaction!.Hash);
        Assert.Equal(new PaymentEvent(2, now, PaymentEventType.Paid, PaymentState.Paid, "aa11"), payment.Events[^1]);
        var entry = Assert.Single(payment.Outbox);
        Assert.Equal(("payment.paid", 2L, PaymentState.Paid, now), (entry.Type, entry.Version, entry.State, entry.CreateTime));
        Assert.StartsWith("evt_", entry.EventId, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failure_fails_a_pending_payment_with_the_reason()
    {
        var payment = TestPayments.New();
        Assert.True(payment.Apply(new TransactionCheck.Failed("Transaction failed."), TestPayments.Start).IsApplied);
        Assert.Equal(PaymentState.Failed, payment.State);
        Assert.Equal("Transaction failed.", payment.FailureReason);
        Assert.Equal("payment.failed", Assert.Single(payment.Outbox).Type);
        Assert.Null(payment.NextCheckTime);
    }

    [Fact]
    public void An_expired_payment_is_scheduled_for_reconciliation()
    {
        var payment = TestPayments.New();
        Assert.True(payment.Expire(s_afterExpiry).IsApplied);
        Assert.Equal(PaymentState.Expired, payment.State);
        Assert.Equal(s_afterExpiry + TimeSpan.FromMinutes(5), payment.NextCheckTime);
        Assert.Equal("payment.expired", Assert.Single(payment.Outbox).Type);
    }

    [Fact]
    public void A_payment_cannot_expire_before_its_qr_does()
    {
        var payment = TestPayments.New();
        var result = payment.Expire(payment.ExpireTime.AddMilliseconds(-1));
        Assert.Equal(TransitionOutcome.NotAllowed, result.Outcome);
        Assert.Equal(PaymentState.Pending, payment.State);
        Assert.Equal(1, payment.Version);
        Assert.True(payment.Expire(payment.ExpireTime).IsApplied);
    }

    [Fact]
    public void A_cancelled_payment_is_scheduled_for_reconciliation()
    {
        var payment = TestPayments.New();
        var now = TestPayments.Start.AddMinutes(1);
        Assert.True(payment.Cancel(now).IsApplied);
        Assert.Equal(PaymentState.Cancelled, payment.State);
        Assert.Equal(now + TimeSpan.FromMinutes(5), payment.NextCheckTime);
        Assert.Equal("payment.cancelled", Assert.Single(payment.Outbox).Type);
    }

    [Theory]
    [InlineData(PaymentState.Expired)]
    [InlineData(PaymentState.Cancelled)]
    public void Money_that_arrives_after_expiry_or_cancel_makes_the_payment_paid_late_never_paid(PaymentState from)
    {
        var payment = InState(from);
        var now = s_afterExpiry.AddMinutes(30);
        Assert.True(payment.Settle(TestPayments.Transaction(), now).IsApplied);
        Assert.Equal(PaymentState.PaidLate, payment.State);
        Assert.Equal(now, payment.SettleTime);
        Assert.Null(payment.NextCheckTime);
        Assert.Equal(["payment." + from.ToString().ToLowerInvariant(), "payment.paid_late"], payment.Outbox.Select(o => o.Type));
        Assert.Equal(2, payment.Outbox.Select(o => o.EventId).Distinct().Count());
    }

    [Theory]
    [InlineData(PaymentState.Pending, false)]
    [InlineData(PaymentState.Paid, false)]
    [InlineData(PaymentState.Failed, false)]
    [InlineData(PaymentState.Expired, true)]
    [InlineData(PaymentState.Cancelled, true)]
    [InlineData(PaymentState.PaidLate, false)]
    public void Paid_late_is_reachable_only_from_expired_or_cancelled(PaymentState from, bool reachable)
    {
        var payment = InState(from);
        var result = payment.Settle(TestPayments.Transaction(hash: "late"), s_afterExpiry.AddHours(1));
        Assert.Equal(reachable, result.IsApplied && payment.State == PaymentState.PaidLate);
    }

    public static TheoryData<PaymentState, string, TransitionOutcome> Matrix => new()
    {
        { PaymentState.Paid, "settle-same", TransitionOutcome.Unchanged },
        { PaymentState.Paid, "settle-other", TransitionOutcome.NotAllowed },
        { PaymentState.Paid, "fail", TransitionOutcome.NotAllowed },
        { PaymentState.Paid, "expire", TransitionOutcome.NotAllowed },
        { PaymentState.Paid, "cancel", TransitionOutcome.NotAllowed },
        { PaymentState.Failed, "settle-same", TransitionOutcome.NotAllowed },
        { PaymentState.Failed, "fail", TransitionOutcome.Unchanged },
        { PaymentState.Failed, "expire", TransitionOutcome.NotAllowed },
        { PaymentState.Failed, "cancel", TransitionOutcome.NotAllowed },
        { PaymentState.Expired, "fail", TransitionOutcome.NotAllowed },
        { PaymentState.Expired, "expire", TransitionOutcome.Unchanged },
        { PaymentState.Expired, "cancel", TransitionOutcome.NotAllowed },
        { PaymentState.Cancelled, "fail", TransitionOutcome.NotAllowed },
        { PaymentState.Cancelled, "expire", TransitionOutcome.NotAllowed },
        { PaymentState.Cancelled, "cancel", TransitionOutcome.Unchanged },
        { PaymentState.PaidLate, "settle-same", TransitionOutcome.Unchanged },
        { PaymentState.PaidLate, "settle-other", TransitionOutcome.NotAllowed },
        { PaymentState.PaidLate, "fail", TransitionOutcome.NotAllowed },
        { PaymentState.PaidLate, "expire", TransitionOutcome.NotAllowed },
        { PaymentState.PaidLate, "cancel", TransitionOutcome.NotAllowed },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Transitions_out_of_an_outcome_are_refused_or_are_idempotent_repeats(PaymentState from, string action, TransitionOutcome expected)
    {
        var payment = InState(from);
        var version = payment.Version;
        var events = payment.Events.Count;
        var outbox = payment.Outbox.Count;
        var now = s_afterExpiry.AddHours(3);

        var result = action switch
        {
            "settle-same" => payment.Settle(TestPayments.Transaction(), now),
            "settle-other" => payment.Settle(TestPayments.Transaction(hash: "other"), now),
            "fail" => payment.Fail("nope", now),
            "expire" => payment.Expire(now),
            "cancel" => payment.Cancel(now),
            _ => throw new ArgumentOutOfRangeException(nameof(action)),
        };

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(from, payment.State);
        Assert.Equal(version, payment.Version);
        Assert.Equal(events, payment.Events.Count);
        Assert.Equal(outbox, payment.Outbox.Count);
        if (expected == TransitionOutcome.NotAllowed)
        {
            Assert.False(string.IsNullOrEmpty(result.Reason));
        }
    }

    [Fact]
    public void Applying_the_same_result_twice_bumps_the_version_once_and_writes_one_outbox_entry()
    {
        var payment = TestPayments.New();
        var check = new TransactionCheck.Paid(TestPayments.Transaction());
        Assert.Equal(TransitionOutcome.Applied, payment.Apply(check, TestPayments.Start.AddSeconds(5)).Outcome);
        Assert.Equal(TransitionOutcome.Unchanged, payment.Apply(check, TestPayments.Start.AddSeconds(7)).Outcome);
        Assert.Equal(2, payment.Version);
        Assert.Single(payment.Outbox);
        Assert.Equal(2, payment.Events.Count);
        Assert.Equal(TestPayments.Start.AddSeconds(5), payment.SettleTime);
    }

    [Fact]
    public void Not_found_and_static_qr_answers_change_nothing()
    {
        var payment = TestPayments.New();
        Assert.Equal(TransitionOutcome.Unchanged, payment.Apply(new TransactionCheck.NotFound(null), s_afterExpiry).Outcome);
        Assert.Equal(TransitionOutcome.Unchanged, payment.Apply(new TransactionCheck.StaticQrUnsupported(null), s_afterExpiry).Outcome);
        Assert.Equal(1, payment.Version);
    }

    [Theory]
    [InlineData("1.00", "USD", TestPayments.Account, "amount")]
    [InlineData("1.50", "KHR", TestPayments.Account, "currency")]
    [InlineData("1.50", "USD", "thief@abaa", "receiving account")]
    [InlineData("1.50", "USD", null, "receiving account")]
    public void A_transfer_that_does_not_match_is_not_paid_but_flagged_for_review(string amount, string currency, string? to, string reason)
    {
        var payment = TestPayments.New();
        var now = TestPayments.Start.AddSeconds(20);
        var transaction = TestPayments.Transaction(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), currency, to);

        Assert.True(payment.Settle(transaction, now).IsApplied);

        Assert.Equal(PaymentState.Pending, payment.State);
        Assert.True(payment.NeedsReview);
        Assert.Contains(reason, payment.Review!.Reason, StringComparison.Ordinal);
        Assert.Same(transaction, payment.Review.Transaction);
        Assert.Null(payment.Transaction);
        Assert.Equal(PaymentEventType.ReviewRequired, payment.Events[^1].Type);
        Assert.Equal("payment.review_required", Assert.Single(payment.Outbox).Type);
        Assert.Equal(2, payment.Version);

        // The poller will see the same answer again: no change.
        Assert.Equal(TransitionOutcome.Unchanged, payment.Settle(transaction, now.AddSeconds(2)).Outcome);
        Assert.Equal(2, payment.Version);

        // And the payment still expires on time, keeping the review.
        Assert.True(payment.Expire(s_afterExpiry).IsApplied);
        Assert.True(payment.NeedsReview);
    }

    [Fact]
    public void A_mismatch_found_by_reconciliation_does_not_make_the_payment_paid_late()
    {
        var payment = InState(PaymentState.Expired);
        Assert.True(payment.Settle(TestPayments.Transaction(amount: 9m), s_afterExpiry.AddMinutes(5)).IsApplied);
        Assert.Equal(PaymentState.Expired, payment.State);
        Assert.True(payment.NeedsReview);
    }

    [Fact]
    public void Poll_checks_bump_the_version_and_schedule_the_next_check_without_an_event()
    {
        var payment = TestPayments.New();
        var next = TestPayments.Start.AddSeconds(2);
        Assert.True(payment.RecordCheck(TestPayments.Start, next).IsApplied);
        Assert.Equal((1, next, 2L), (payment.CheckCount, payment.NextCheckTime, payment.Version));
        Assert.Single(payment.Events);
        Assert.Equal(TransitionOutcome.NotAllowed, InState(PaymentState.Paid).RecordCheck(s_afterExpiry, null).Outcome);
    }

    [Fact]
    public void Reconciliation_follows_the_schedule_and_then_stops()
    {
        var payment = InState(PaymentState.Expired);
        var settled = payment.SettleTime!.Value;
        var expected = new DateTimeOffset?[]
        {
            settled + TimeSpan.FromMinutes(30), settled + TimeSpan.FromHours(2), settled + TimeSpan.FromHours(24), null,
        };
        foreach (var next in expected)
        {
            Assert.True(payment.RecordReconciliationCheck(payment.NextCheckTime!.Value).IsApplied);
            Assert.Equal(next, payment.NextCheckTime);
        }

        Assert.Equal(4, payment.ReconciliationCount);
        Assert.Equal(TransitionOutcome.NotAllowed, TestPayments.New().RecordReconciliationCheck(s_afterExpiry).Outcome);
    }

    private static Payment InState(PaymentState state)
    {
        var payment = TestPayments.New();
        var result = state switch
        {
            PaymentState.Pending => TransitionResult.Applied,
            PaymentState.Paid => payment.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(10)),
            PaymentState.Failed => payment.Fail("declined", TestPayments.Start.AddSeconds(10)),
            PaymentState.Expired => payment.Expire(s_afterExpiry),
            PaymentState.Cancelled => payment.Cancel(TestPayments.Start.AddSeconds(10)),
            PaymentState.PaidLate => Chain(payment.Expire(s_afterExpiry), () => payment.Settle(TestPayments.Transaction(), s_afterExpiry.AddMinutes(5))),
            _ => throw new ArgumentOutOfRangeException(nameof(state)),
        };
        Assert.True(result.IsApplied);
        Assert.Equal(state, payment.State);
        return payment;
    }

    private static TransitionResult Chain(TransitionResult first, Func<TransitionResult> then) => first.IsApplied ? then() : first;
}
