using Bakong.OpenApi.Client;

namespace Bakong.Payments;

/// <summary>
/// What a <c>CreatePayment</c> asked for, after defaults were applied. Two requests with the same request id are the
/// same request exactly when these are equal (see <see cref="Creation.PaymentParametersHash"/>).
/// </summary>
public sealed record PaymentParameters
{
    public required string TerminalId { get; init; }

    public required Money Money { get; init; }

    /// <summary>The POS's own reference for the order; several payments (retries) may share it.</summary>
    public string? OrderRef { get; init; }

    /// <summary>The QR's lifetime: the request's, or the configured default.</summary>
    public required TimeSpan ExpiresIn { get; init; }

    public string? StoreLabel { get; init; }

    public string? TerminalLabel { get; init; }

    /// <summary>KHQR tag 62 sub-tag 08, from the request.</summary>
    public string? PurposeOfTransaction { get; init; }

    /// <summary>The POS's own bill number for the QR (tag 62 sub-tag 01); null when the gateway makes one.</summary>
    public string? BillNumber { get; init; }
}

/// <summary>One entry of a payment's history. Times come from the caller's clock.</summary>
/// <param name="Version">The payment's version after this event.</param>
/// <param name="Time">When it happened.</param>
/// <param name="Type">What happened.</param>
/// <param name="State">The payment's state after it.</param>
/// <param name="Detail">Why, where there is more to say (failure message, review reason, transaction hash, resolution).</param>
public sealed record PaymentEvent(long Version, DateTimeOffset Time, PaymentEventType Type, PaymentState State, string? Detail = null)
{
    /// <summary>
    /// Whether this event moved the payment to an outcome (paid, failed, expired, cancelled, paid late): not its
    /// creation, and not a review flag or a resolution, which leave the state as it was.
    /// </summary>
    public bool IsOutcome => Type is not (PaymentEventType.Created or PaymentEventType.ReviewRequired or PaymentEventType.Resolved);
}

/// <summary>
/// A webhook to deliver, written in the same document write as the transition that caused it. The dispatcher
/// delivers it at least once; <see cref="EventId"/> lets the receiver drop duplicates.
/// </summary>
/// <param name="EventId">Unique, random, URL-safe.</param>
/// <param name="Type"><c>payment.paid</c>, <c>payment.failed</c>, <c>payment.expired</c>, <c>payment.cancelled</c>, <c>payment.paid_late</c>, <c>payment.review_required</c>, <c>payment.resolved</c>.</param>
/// <param name="Version">The payment version the event describes.</param>
/// <param name="State">The payment's state at that version.</param>
/// <param name="CreateTime">When the transition happened.</param>
public sealed record OutboxEntry(string EventId, string Type, long Version, PaymentState State, DateTimeOffset CreateTime)
{
    /// <summary>Delivery attempts made so far.</summary>
    public int Attempts { get; init; }

    /// <summary>When the dispatcher should try next; <see langword="null"/> means at once.</summary>
    public DateTimeOffset? NextAttemptTime { get; init; }

    /// <summary>When a 2xx was received; <see langword="null"/> while undelivered.</summary>
    public DateTimeOffset? DeliveredTime { get; init; }

    /// <summary>Why the last attempt failed.</summary>
    public string? LastError { get; init; }

    public bool IsDelivered => DeliveredTime is not null;

    /// <summary>When it is due: its next attempt, or its creation for a first attempt; <see langword="null"/> once delivered.</summary>
    public DateTimeOffset? DueTime => IsDelivered ? null : NextAttemptTime ?? CreateTime;
}

/// <summary>
/// Bakong reported a successful transfer for this payment's QR that is not what was asked (amount, currency or
/// receiving account differ). The payment is not paid; an operator decides (refund or accept).
/// </summary>
/// <param name="Reason">Which fields differ, e.g. <c>amount 1.00 USD, expected 1.50 USD</c>.</param>
/// <param name="Time">When it was found.</param>
/// <param name="Transaction">What Bakong reported.</param>
public sealed record PaymentReview(string Reason, DateTimeOffset Time, BakongTransaction Transaction);

/// <summary>How an operator settled a payment that needed a person (<see cref="Payment.NeedsPerson"/>).</summary>
public enum ResolutionKind
{
    /// <summary>The money is kept as the sale.</summary>
    Accepted = 1,

    /// <summary>The money was sent back; <see cref="PaymentResolution.Refund"/> is the transfer, as Bakong confirmed it.</summary>
    Refunded = 2,
}

/// <summary>
/// An operator's decision on a payment in the exception queue (needs review, or paid late), recorded on the payment
/// once: a payment is resolved at most once.
/// </summary>
/// <param name="Kind">Accepted or refunded.</param>
/// <param name="Refund">The refund transfer as Bakong reported it (merchant to payer); only when refunded.</param>
/// <param name="ResolvedBy">The operator's client id (the API key's), or the gateway's name for a caller without a key.</param>
/// <param name="Time">When it was recorded.</param>
/// <param name="Note">The operator's note, at most <see cref="PaymentLimits.ResolutionNote"/> characters; null when none.</param>
public sealed record PaymentResolution(ResolutionKind Kind, BakongTransaction? Refund, string ResolvedBy, DateTimeOffset Time, string? Note);

/// <summary>
/// Every stored field of a payment: what a store writes and reads back. Stores map this to their own format, so
/// the domain carries no storage types.
/// </summary>
public sealed record PaymentSnapshot
{
    public required string Id { get; init; }

    public required string RequestId { get; init; }

    public required string ParametersHash { get; init; }

    public required PaymentParameters Parameters { get; init; }

    public required string BillNumber { get; init; }

    /// <summary>The Bakong account the QR pays to; settlement compares Bakong's receiver with it.</summary>
    public required string ReceivingAccount { get; init; }

    /// <summary>The merchant profile the payment was made for; <see cref="Payment.DefaultMerchantProfileId"/> before profiles.</summary>
    public string MerchantProfileId { get; init; } = Payment.DefaultMerchantProfileId;

    public required string Qr { get; init; }

    public required string Md5 { get; init; }

    public required DateTimeOffset CreateTime { get; init; }

    public required DateTimeOffset ExpireTime { get; init; }

    public required PaymentState State { get; init; }

    public required long Version { get; init; }

    public required DateTimeOffset UpdateTime { get; init; }

    public DateTimeOffset? SettleTime { get; init; }

    public DateTimeOffset? NextCheckTime { get; init; }

    public int CheckCount { get; init; }

    public DateTimeOffset? LastCheckTime { get; init; }

    public int ReconciliationCount { get; init; }

    public string? FailureReason { get; init; }

    public BakongTransaction? Transaction { get; init; }

    public PaymentReview? Review { get; init; }

    /// <summary>The operator's decision once the payment left the exception queue; null while it needs one (or never did).</summary>
    public PaymentResolution? Resolution { get; init; }

    public IReadOnlyList<PaymentEvent> Events { get; init; } = [];

    public IReadOnlyList<OutboxEntry> Outbox { get; init; } = [];
}

/// <summary>One way a refund transfer is not the refund of a payment (<see cref="Payment.RefundMismatchOf"/>).</summary>
/// <param name="Field">What differs: <c>from_account_id</c>, <c>to_account_id</c>, <c>currency</c>, <c>amount</c> (or <c>payment</c> when there is nothing to refund).</param>
/// <param name="Description">How, for people, e.g. <c>sent to x@bank, expected the payer's account y@bank</c>.</param>
public sealed record RefundMismatch(string Field, string Description);
