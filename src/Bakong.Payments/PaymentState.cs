namespace Bakong.Payments;

/// <summary>
/// Where a payment is in its life: <c>Pending → Paid | Failed | Expired | Cancelled</c>, and
/// <c>Expired | Cancelled → PaidLate</c> when reconciliation finds money that arrived after all.
/// </summary>
public enum PaymentState
{
    /// <summary>The QR is out; nobody has paid it yet.</summary>
    Pending = 1,

    /// <summary>Bakong reported a transfer of exactly the asked money to the merchant's account.</summary>
    Paid = 2,

    /// <summary>Bakong reported the transfer failed.</summary>
    Failed = 3,

    /// <summary>Not paid by the QR's expiry (the integration guide's "timeout"); still re-checked by reconciliation.</summary>
    Expired = 4,

    /// <summary>The POS cancelled it while pending; still re-checked by reconciliation.</summary>
    Cancelled = 5,

    /// <summary>Money arrived for an expired or cancelled payment: the merchant decides to accept or refund.</summary>
    PaidLate = 6,
}

/// <summary>
/// The lower-case names of the states outside the code (<c>paid_late</c>): the webhook bodies and event types, and the
/// <c>state</c> tag of the metrics. Here, beside the states, so the webhooks and the telemetry each take them from the
/// domain and neither from the other.
/// </summary>
internal static class PaymentStateNames
{
    public static string Of(PaymentState state) => state switch
    {
        PaymentState.Pending => "pending",
        PaymentState.Paid => "paid",
        PaymentState.Failed => "failed",
        PaymentState.Expired => "expired",
        PaymentState.Cancelled => "cancelled",
        PaymentState.PaidLate => "paid_late",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };
}

/// <summary>What happened to a payment, as recorded in its event list.</summary>
public enum PaymentEventType
{
    Created = 1,
    Paid = 2,
    Failed = 3,
    Expired = 4,
    Cancelled = 5,
    PaidLate = 6,

    /// <summary>Bakong reported a transfer that does not match the payment; the state is unchanged and <see cref="Payment.Review"/> says why.</summary>
    ReviewRequired = 7,

    /// <summary>An operator resolved the payment (accepted the money, or refunded it); the state is unchanged and <see cref="Payment.Resolution"/> says how.</summary>
    Resolved = 8,
}

/// <summary>How applying a result to a payment went.</summary>
public enum TransitionOutcome
{
    /// <summary>The payment changed: version bumped, event (and outbox entry) appended. Save it.</summary>
    Applied = 1,

    /// <summary>The payment already reflects this result; nothing changed (idempotent repeat).</summary>
    Unchanged = 2,

    /// <summary>The state machine forbids it (e.g. cancelling a paid payment); nothing changed.</summary>
    NotAllowed = 3,
}

/// <summary>The outcome of a transition and, when it was not applied, why.</summary>
public readonly record struct TransitionResult(TransitionOutcome Outcome, string? Reason = null)
{
    public static TransitionResult Applied { get; } = new(TransitionOutcome.Applied);

    public static TransitionResult Unchanged { get; } = new(TransitionOutcome.Unchanged);

    public bool IsApplied => Outcome == TransitionOutcome.Applied;

    public static TransitionResult NotAllowed(string reason) => new(TransitionOutcome.NotAllowed, reason);
}

/// <summary>The lower-case names of the resolutions outside the code: the webhooks, the events' detail, the audit.</summary>
internal static class ResolutionNames
{
    public static string Of(ResolutionKind kind) => kind switch
    {
        ResolutionKind.Accepted => "accepted",
        ResolutionKind.Refunded => "refunded",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
