using System.Globalization;
using Bakong.OpenApi.Client;

namespace Bakong.Payments;

/// <summary>
/// One payment and the only owner of its state machine: <c>Pending → Paid | Failed | Expired | Cancelled</c>,
/// <c>Expired | Cancelled → PaidLate</c>.
/// </summary>
/// <remarks>
/// <para>
/// Every change happens to this one object, so a store persists it in one write: the new state, the version bumped,
/// an event appended and, for an outcome the merchant must hear about, an outbox entry for the webhook. Each
/// transition is idempotent: applying the same result again returns <see cref="TransitionOutcome.Unchanged"/> and
/// changes nothing. Times come from the caller's clock.
/// </para>
/// <para>
/// A transfer that does not match (amount, currency or receiving account) never pays a payment. It sets
/// <see cref="Review"/> and leaves <see cref="State"/> as it was: the state says what happened to the QR, the review
/// flag says an operator must look at money that arrived wrongly. The poller keeps its schedule, so a pending payment
/// with a review still expires, and the review stays on it.
/// </para>
/// <para>
/// <see cref="Version"/> bumps on every change, including check bookkeeping, because it is also the optimistic
/// concurrency token: a poller's save cannot silently overwrite a cancel that happened since it read the payment.
/// </para>
/// </remarks>
public sealed class Payment
{
    /// <summary>The profile of a gateway with the single <c>Merchant</c> section, and of payments stored before profiles.</summary>
    public const string DefaultMerchantProfileId = "default";

    private PaymentSnapshot _data;

    private Payment(PaymentSnapshot data, long persistedVersion)
    {
        _data = data;
        PersistedVersion = persistedVersion;
    }

    public string Id => _data.Id;

    /// <summary>The client's idempotency key.</summary>
    public string RequestId => _data.RequestId;

    /// <summary>SHA-256 of the creation parameters; same request id with another hash is a conflict.</summary>
    public string ParametersHash => _data.ParametersHash;

    public PaymentParameters Parameters => _data.Parameters;

    public string TerminalId => _data.Parameters.TerminalId;

    public Money Money => _data.Parameters.Money;

    public string? OrderRef => _data.Parameters.OrderRef;

    /// <summary>The KHQR's bill number (transaction id), unique to this payment.</summary>
    public string BillNumber => _data.BillNumber;

    /// <summary>The Bakong account id the QR pays to.</summary>
    public string ReceivingAccount => _data.ReceivingAccount;

    /// <summary>The merchant profile (<c>Merchants:N:Id</c>) whose QR this is: the one serving its terminal at creation.</summary>
    public string MerchantProfileId => _data.MerchantProfileId;

    /// <summary>The KHQR payload.</summary>
    public string Qr => _data.Qr;

    /// <summary>The md5 of <see cref="Qr"/>, the key of Bakong's status checks.</summary>
    public string Md5 => _data.Md5;

    public DateTimeOffset CreateTime => _data.CreateTime;

    /// <summary>The QR's expiry (KHQR tag 99), to the millisecond.</summary>
    public DateTimeOffset ExpireTime => _data.ExpireTime;

    public PaymentState State => _data.State;

    /// <summary>Starts at 1 and bumps on every change.</summary>
    public long Version => _data.Version;

    /// <summary>The version the store holds; a save succeeds only if the store still holds it.</summary>
    public long PersistedVersion { get; private set; }

    /// <summary>Whether there are changes to save.</summary>
    public bool HasUnsavedChanges => Version != PersistedVersion;

    public DateTimeOffset UpdateTime => _data.UpdateTime;

    /// <summary>When the payment reached its current outcome (paid, failed, expired, cancelled, paid late).</summary>
    public DateTimeOffset? SettleTime => _data.SettleTime;

    /// <summary>When the poller (pending) or the reconciler (expired, cancelled) should check Bakong next; <see langword="null"/> when never again.</summary>
    public DateTimeOffset? NextCheckTime => _data.NextCheckTime;

    /// <summary>Checks made while pending.</summary>
    public int CheckCount => _data.CheckCount;

    public DateTimeOffset? LastCheckTime => _data.LastCheckTime;

    /// <summary>Reconciliation checks made since the payment expired or was cancelled.</summary>
    public int ReconciliationCount => _data.ReconciliationCount;

    /// <summary>Bakong's message when it reported the transfer failed.</summary>
    public string? FailureReason => _data.FailureReason;

    /// <summary>The transfer that paid the payment (paid or paid late).</summary>
    public BakongTransaction? Transaction => _data.Transaction;

    /// <summary>Set when Bakong reported a transfer that does not match; see the class remarks.</summary>
    public PaymentReview? Review => _data.Review;

    public bool NeedsReview => _data.Review is not null;

    /// <summary>How an operator resolved the payment; null while it needs one, or when it never did.</summary>
    public PaymentResolution? Resolution => _data.Resolution;

    /// <summary>
    /// Whether the payment is in the exception queue: money arrived that a person must decide on (a transfer that did
    /// not match, <see cref="NeedsReview"/>, or money for a sale the POS gave up, <see cref="PaymentState.PaidLate"/>)
    /// and nobody has resolved it yet. The store's exception index keeps the payments this holds for
    /// (<see cref="Storage.IPaymentStore.ListExceptionsAsync"/>), by <see cref="NeedsPersonOf"/>.
    /// </summary>
    public bool NeedsPerson => NeedsPersonOf(_data);

    /// <summary><see cref="NeedsPerson"/> of a stored payment (the rule, in one place).</summary>
    internal static bool NeedsPersonOf(PaymentSnapshot payment) =>
        payment.Resolution is null && (payment.Review is not null || payment.State == PaymentState.PaidLate);

    /// <summary>
    /// The money a person decides on: the transfer that did not match when the payment needs review, else the one that
    /// paid it late. A refund is checked against this transfer (<see cref="RefundMismatchOf"/>).
    /// </summary>
    public BakongTransaction? ReceivedTransaction => Review?.Transaction ?? (State == PaymentState.PaidLate ? Transaction : null);

    public IReadOnlyList<PaymentEvent> Events => _data.Events;

    public IReadOnlyList<OutboxEntry> Outbox => _data.Outbox;

    public bool IsTerminal => State is not PaymentState.Pending;

    /// <summary>The events not yet persisted: a store makes the write that carries them durable.</summary>
    public IEnumerable<PaymentEvent> UnsavedEvents
    {
        get
        {
            foreach (var e in _data.Events)
            {
                if (e.Version > PersistedVersion)
                {
                    yield return e;
                }
            }
        }
    }

    /// <summary>A new pending payment at version 1, due for its first check from now on (the poller's next tick makes it). Validation is the caller's (<see cref="Creation.PaymentCreation"/>).</summary>
    public static Payment Create(
        string id,
        string requestId,
        string parametersHash,
        PaymentParameters parameters,
        string billNumber,
        string receivingAccount,
        string qr,
        string md5,
        DateTimeOffset createTime,
        DateTimeOffset expireTime,
        string merchantProfileId = DefaultMerchantProfileId)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(qr);
        ArgumentException.ThrowIfNullOrEmpty(md5);
        ArgumentException.ThrowIfNullOrEmpty(merchantProfileId);
        return new Payment(
            new PaymentSnapshot
            {
                Id = id,
                RequestId = requestId,
                ParametersHash = parametersHash,
                Parameters = parameters,
                BillNumber = billNumber,
                ReceivingAccount = receivingAccount,
                MerchantProfileId = merchantProfileId,
                Qr = qr,
                Md5 = md5,
                CreateTime = createTime,
                ExpireTime = expireTime,
                State = PaymentState.Pending,
                Version = 1,
                UpdateTime = createTime,
                NextCheckTime = createTime,
                Events = [new PaymentEvent(1, createTime, PaymentEventType.Created, PaymentState.Pending)],
            },
            persistedVersion: 0);
    }

    /// <summary>A payment as a store read it back.</summary>
    public static Payment FromSnapshot(PaymentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new Payment(snapshot, snapshot.Version);
    }

    public PaymentSnapshot ToSnapshot() => _data;

    /// <summary>Called by a store after it wrote this payment.</summary>
    public void AcceptChanges() => PersistedVersion = Version;

    /// <summary>
    /// Applies Bakong's answer about this payment's md5: a transfer settles it (<see cref="Settle"/>), a failure fails
    /// it (<see cref="Fail"/>); "not found" and "static QR" change nothing — expiry is decided by the poller's clock
    /// (<see cref="Expire"/>), not by an answer.
    /// </summary>
    public TransitionResult Apply(TransactionCheck check, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(check);
        return check switch
        {
            TransactionCheck.Paid paid => Settle(paid.Transaction, now),
            TransactionCheck.Failed failed => Fail(failed.Message, now),
            _ => TransitionResult.Unchanged,
        };
    }

    /// <summary>
    /// Bakong reports a transfer for this QR. If its amount, currency and receiving account match, a pending
    /// payment becomes <see cref="PaymentState.Paid"/> and an expired or cancelled one
    /// <see cref="PaymentState.PaidLate"/>. If they do not match, the state stays and <see cref="Review"/> is set.
    /// </summary>
    public TransitionResult Settle(BakongTransaction transaction, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        switch (State)
        {
            case PaymentState.Paid or PaymentState.PaidLate:
                return string.Equals(Transaction?.Hash, transaction.Hash, StringComparison.OrdinalIgnoreCase)
                    ? TransitionResult.Unchanged
                    : TransitionResult.NotAllowed("already settled by transaction " + Transaction?.Hash);
            case PaymentState.Failed:
                return TransitionResult.NotAllowed("the payment failed; a failed payment cannot be paid");
        }

        if (MismatchOf(transaction) is { } mismatch)
        {
            return FlagForReview(mismatch, transaction, now);
        }

        var target = State == PaymentState.Pending ? PaymentState.Paid : PaymentState.PaidLate;
        var type = target == PaymentState.Paid ? PaymentEventType.Paid : PaymentEventType.PaidLate;
        _data = _data with { Transaction = transaction, NextCheckTime = null };
        Transition(target, type, now, transaction.Hash);
        return TransitionResult.Applied;
    }

    /// <summary>Bakong reports the transfer failed: pending → <see cref="PaymentState.Failed"/>.</summary>
    public TransitionResult Fail(string? reason, DateTimeOffset now)
    {
        switch (State)
        {
            case PaymentState.Failed:
                return TransitionResult.Unchanged;
            case not PaymentState.Pending:
                return NotFromState("fail");
        }

        _data = _data with { FailureReason = reason, NextCheckTime = null };
        Transition(PaymentState.Failed, PaymentEventType.Failed, now, reason);
        return TransitionResult.Applied;
    }

    /// <summary>
    /// Nobody paid by the expiry: pending → <see cref="PaymentState.Expired"/>, scheduled for reconciliation.
    /// Refused before <see cref="ExpireTime"/>.
    /// </summary>
    public TransitionResult Expire(DateTimeOffset now)
    {
        switch (State)
        {
            case PaymentState.Expired:
                return TransitionResult.Unchanged;
            case not PaymentState.Pending:
                return NotFromState("expire");
        }

        if (now < ExpireTime)
        {
            return TransitionResult.NotAllowed("the QR expires at " + ExpireTime.ToString("O", CultureInfo.InvariantCulture));
        }

        _data = _data with { NextCheckTime = ReconciliationSchedule.Next(now, 0), ReconciliationCount = 0 };
        Transition(PaymentState.Expired, PaymentEventType.Expired, now, null);
        return TransitionResult.Applied;
    }

    /// <summary>The POS gives up: pending → <see cref="PaymentState.Cancelled"/>, scheduled for reconciliation.</summary>
    public TransitionResult Cancel(DateTimeOffset now)
    {
        switch (State)
        {
            case PaymentState.Cancelled:
                return TransitionResult.Unchanged;
            case not PaymentState.Pending:
                return NotFromState("cancel");
        }

        _data = _data with { NextCheckTime = ReconciliationSchedule.Next(now, 0), ReconciliationCount = 0 };
        Transition(PaymentState.Cancelled, PaymentEventType.Cancelled, now, null);
        return TransitionResult.Applied;
    }

    /// <summary>
    /// The poller checked a pending payment (whatever the answer, or a fault) and sets when to check next.
    /// Bumps the version; appends no event.
    /// </summary>
    public TransitionResult RecordCheck(DateTimeOffset now, DateTimeOffset? nextCheckTime)
    {
        if (State != PaymentState.Pending)
        {
            return NotFromState("record a poll check on");
        }

        _data = _data with
        {
            CheckCount = _data.CheckCount + 1,
            LastCheckTime = now,
            NextCheckTime = nextCheckTime,
            Version = _data.Version + 1,
            UpdateTime = now,
        };
        return TransitionResult.Applied;
    }

    /// <summary>
    /// The reconciler checked an expired or cancelled payment and found nothing: the next check follows
    /// <see cref="ReconciliationSchedule"/>, or none after the last. Bakong faults should not count: the reconciler
    /// simply leaves the payment due.
    /// </summary>
    public TransitionResult RecordReconciliationCheck(DateTimeOffset now)
    {
        if (State is not (PaymentState.Expired or PaymentState.Cancelled))
        {
            return NotFromState("record a reconciliation check on");
        }

        var done = _data.ReconciliationCount + 1;
        _data = _data with
        {
            ReconciliationCount = done,
            LastCheckTime = now,
            NextCheckTime = ReconciliationSchedule.Next(_data.SettleTime ?? now, done),
            Version = _data.Version + 1,
            UpdateTime = now,
        };
        return TransitionResult.Applied;
    }

    /// <summary>
    /// The reconciler could not ask Bakong (a fault): the same check is tried again at <paramref name="retryTime"/>
    /// and does not count against <see cref="ReconciliationSchedule"/>. Bumps the version; appends no event.
    /// </summary>
    public TransitionResult PostponeReconciliationCheck(DateTimeOffset now, DateTimeOffset retryTime)
    {
        if (State is not (PaymentState.Expired or PaymentState.Cancelled))
        {
            return NotFromState("postpone a reconciliation check on");
        }

        _data = _data with { NextCheckTime = retryTime, Version = _data.Version + 1, UpdateTime = now };
        return TransitionResult.Applied;
    }

    /// <summary>
    /// An operator resolves a payment of the exception queue (<see cref="NeedsPerson"/>): records
    /// <paramref name="resolution"/> on it, with an event and a <c>payment.resolved</c> webhook, and leaves the state as
    /// it was. Refused while the payment is pending (its QR may still be paid: wait for its outcome), when it needs no
    /// person, and when it is resolved already: a resolution is applied once, so a concurrent second one, decided again
    /// on the stored payment by the write path, is refused. A refund must have been checked with
    /// <see cref="RefundMismatchOf"/> first.
    /// </summary>
    public TransitionResult Resolve(PaymentResolution resolution, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(resolution);
        if (Resolution is { } done)
        {
            return TransitionResult.NotAllowed("already resolved (" + ResolutionNames.Of(done.Kind) + ") by " + done.ResolvedBy);
        }

        if (!NeedsPerson)
        {
            return TransitionResult.NotAllowed(string.Create(
                CultureInfo.InvariantCulture, $"the payment is {PaymentStateNames.Of(State)} without a review: it needs no resolution"));
        }

        if (State == PaymentState.Pending)
        {
            return TransitionResult.NotAllowed("the payment is still pending: resolve it once it has an outcome");
        }

        if (resolution.Kind == ResolutionKind.Refunded && resolution.Refund is null)
        {
            throw new ArgumentException("A refund resolution carries the refund transfer.", nameof(resolution));
        }

        var version = _data.Version + 1;
        var detail = ResolutionNames.Of(resolution.Kind) + (resolution.Refund is { } refund ? " " + refund.Hash : "") + " by " + resolution.ResolvedBy;
        _data = _data with
        {
            Resolution = resolution with { Time = now },
            Version = version,
            UpdateTime = now,
            Events = [.. _data.Events, new PaymentEvent(version, now, PaymentEventType.Resolved, State, detail)],
            Outbox = [.. _data.Outbox, new OutboxEntry(PaymentIds.NewEventId(), "payment.resolved", version, State, now)],
        };
        return TransitionResult.Applied;
    }

    /// <summary>
    /// How a refund transfer Bakong reports differs from what this payment's refund must be: from the merchant's account
    /// (<see cref="ReceivingAccount"/>) to the payer's (<see cref="ReceivedTransaction"/>'s sender), in its currency, for
    /// at least its amount. Null when it is a refund of it. Each difference names its field
    /// (<see cref="RefundMismatch.Field"/>); the text holds only the payment's own values and Bakong's account ids and
    /// amount, never Bakong's free text.
    /// </summary>
    public IReadOnlyList<RefundMismatch> RefundMismatchOf(BakongTransaction refund)
    {
        ArgumentNullException.ThrowIfNull(refund);
        var received = ReceivedTransaction;
        var differences = new List<RefundMismatch>();
        if (received is null)
        {
            differences.Add(new RefundMismatch("payment", "the payment holds no received transfer to refund"));
            return differences;
        }

        if (!string.Equals(refund.FromAccountId, ReceivingAccount, StringComparison.OrdinalIgnoreCase))
        {
            differences.Add(new RefundMismatch("from_account_id", "sent from " + Bounded(refund.FromAccountId) + ", expected the merchant's account " + ReceivingAccount));
        }

        if (string.IsNullOrEmpty(received.FromAccountId))
        {
            differences.Add(new RefundMismatch("to_account_id", "Bakong reported no payer account for the money received: the refund cannot be checked"));
        }
        else if (!string.Equals(refund.ToAccountId, received.FromAccountId, StringComparison.OrdinalIgnoreCase))
        {
            differences.Add(new RefundMismatch("to_account_id", "sent to " + Bounded(refund.ToAccountId) + ", expected the payer's account " + received.FromAccountId));
        }

        if (!Money.TryParseCurrency(refund.Currency, out var currency) || !Money.TryParseCurrency(received.Currency, out var receivedCurrency) || currency != receivedCurrency)
        {
            differences.Add(new RefundMismatch("currency", "in " + Bounded(refund.Currency) + ", expected " + received.Currency));
        }
        else if (refund.Amount < received.Amount)
        {
            differences.Add(new RefundMismatch("amount", string.Create(
                CultureInfo.InvariantCulture, $"{refund.Amount} {received.Currency}, expected at least the {received.Amount} {received.Currency} received")));
        }

        return differences;
    }

    private TransitionResult FlagForReview(string reason, BakongTransaction transaction, DateTimeOffset now)
    {
        if (_data.Review is { } existing
            && string.Equals(existing.Transaction.Hash, transaction.Hash, StringComparison.OrdinalIgnoreCase)
            && existing.Reason == reason)
        {
            return TransitionResult.Unchanged;
        }

        var version = _data.Version + 1;
        _data = _data with
        {
            Review = new PaymentReview(reason, now, transaction),
            Version = version,
            UpdateTime = now,
            Events = [.. _data.Events, new PaymentEvent(version, now, PaymentEventType.ReviewRequired, State, reason)],
            Outbox = [.. _data.Outbox, new OutboxEntry(PaymentIds.NewEventId(), "payment.review_required", version, State, now)],
        };
        return TransitionResult.Applied;
    }

    private void Transition(PaymentState target, PaymentEventType type, DateTimeOffset now, string? detail)
    {
        var version = _data.Version + 1;
        _data = _data with
        {
            State = target,
            Version = version,
            UpdateTime = now,
            SettleTime = now,
            Events = [.. _data.Events, new PaymentEvent(version, now, type, target, detail)],
            Outbox = [.. _data.Outbox, new OutboxEntry(PaymentIds.NewEventId(), OutboxType(target), version, target, now)],
        };
    }

    /// <summary>How a transfer Bakong reports differs from this payment (currency, amount, receiver); null when it matches. The one rule for "this transfer paid this payment", also for the settlement re-check.</summary>
    internal string? MismatchOf(BakongTransaction transaction)
    {
        List<string>? differences = null;
        if (!Money.TryParseCurrency(transaction.Currency, out var currency) || currency != Money.Currency)
        {
            (differences ??= []).Add("currency " + (transaction.Currency ?? "(none)") + ", expected " + Money.CurrencyCode);
        }
        else if (transaction.Amount != Money.Amount)
        {
            (differences ??= []).Add(string.Create(
                CultureInfo.InvariantCulture, $"amount {transaction.Amount} {transaction.Currency}, expected {Money}"));
        }

        if (!string.Equals(transaction.ToAccountId, ReceivingAccount, StringComparison.OrdinalIgnoreCase))
        {
            (differences ??= []).Add("receiving account " + (transaction.ToAccountId ?? "(none)") + ", expected " + ReceivingAccount);
        }

        return differences is null ? null : string.Join("; ", differences);
    }

    /// <summary>An account id or currency as Bakong sent it, cut short: Bakong's values are not ours to pass on unbounded.</summary>
    private static string Bounded(string? value) => value switch
    {
        null or "" => "(none)",
        { Length: > 64 } => value[..64] + "…",
        _ => value,
    };

    private TransitionResult NotFromState(string action) =>
        TransitionResult.NotAllowed(string.Create(CultureInfo.InvariantCulture, $"cannot {action} a payment that is {State}"));

    private static string OutboxType(PaymentState state) => state == PaymentState.Pending
        ? throw new ArgumentOutOfRangeException(nameof(state), state, "not an outcome")
        : "payment." + PaymentStateNames.Of(state);
}
