using Bakong.OpenApi.Client;

namespace Bakong.Payments.Polling;

/// <summary>
/// The poller's scheduling rules: what one Bakong answer (or fault) does to a payment as it is now, at a given time, and
/// when it is checked next. Pure: no store, no clock, no Bakong; it changes only the payment object it is given, so
/// the same answer can be applied again to the payment as stored after a conflict. The loop
/// (<see cref="PaymentPoller"/>) reads, asks Bakong and saves.
/// </summary>
internal sealed class PollingPolicy
{
    private readonly PaymentPollerOptions _options;

    public PollingPolicy(PaymentPollerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>
    /// Applies Bakong's <paramref name="result"/> for <paramref name="payment"/>, checked at <paramref name="now"/>;
    /// <paramref name="faultDelay"/> is the wait after a fault (the loop's backoff). Applied when the payment changed
    /// (a transition, a review flag or only its check schedule), Unchanged otherwise.
    /// </summary>
    public TransitionResult Apply(Payment payment, BakongResult<TransactionCheck> result, DateTimeOffset now, TimeSpan faultDelay)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(result);
        var version = payment.Version;
        switch (payment.State)
        {
            case PaymentState.Pending:
                ApplyPending(payment, result, now, faultDelay);
                break;
            case PaymentState.Expired or PaymentState.Cancelled:
                ApplyReconciliation(payment, result, now, faultDelay);
                break;

            // Settled since it was read (paid, failed, paid late): nothing left to decide.
        }

        return payment.Version != version ? TransitionResult.Applied : TransitionResult.Unchanged;
    }

    /// <summary>The next check of an unpaid pending payment, or null when the final check is done.</summary>
    public DateTimeOffset? NextPendingCheck(Payment payment, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(payment);
        if (now >= payment.ExpireTime + _options.ExpiryGrace)
        {
            return null;
        }

        if (now >= payment.ExpireTime)
        {
            return now + _options.ExpiryGrace;
        }

        // The backoff never skips the expiry: the QR's last moment is always checked.
        var next = now + _options.IntervalAt(now - payment.CreateTime);
        return next < payment.ExpireTime ? next : payment.ExpireTime;
    }

    private void ApplyPending(Payment payment, BakongResult<TransactionCheck> result, DateTimeOffset now, TimeSpan faultDelay)
    {
        if (!result.IsSuccess)
        {
            var wait = _options.IntervalAt(now - payment.CreateTime);
            payment.RecordCheck(now, now + (faultDelay > wait ? faultDelay : wait));
            return;
        }

        // Null: this was the final check after the grace, so an unpaid QR expires now.
        var next = NextPendingCheck(payment, now);
        payment.RecordCheck(now, next);

        // Paid or failed ends the polling (the aggregate clears the next check); a mismatch only flags for review and
        // leaves the payment pending on its schedule, so it still expires.
        payment.Apply(result.Value, now);
        if (next is null && payment.State == PaymentState.Pending)
        {
            payment.Expire(now);
        }
    }

    private static void ApplyReconciliation(Payment payment, BakongResult<TransactionCheck> result, DateTimeOffset now, TimeSpan faultDelay)
    {
        if (payment.NextCheckTime is not { } due || due > now)
        {
            // Cancelled (or expired) after it was read for a pending check: this answer is not the reconciliation
            // slot's. Only money found counts (it becomes paid late); the schedule stays as the cancel set it.
            if (result.IsSuccess && result.Value is TransactionCheck.Paid)
            {
                payment.Apply(result.Value, now);
            }

            return;
        }

        if (!result.IsSuccess)
        {
            payment.PostponeReconciliationCheck(now, now + faultDelay);
            return;
        }

        // A transfer makes it paid late (never paid) or flags a mismatch; a failure changes nothing here.
        payment.Apply(result.Value, now);
        if (payment.State is PaymentState.Expired or PaymentState.Cancelled)
        {
            payment.RecordReconciliationCheck(now);
        }
    }
}
