namespace Bakong.Payments;

/// <summary>
/// Told about every payment change right after it is saved: a creation (<see cref="Creation.PaymentCreation"/>, with the
/// <see cref="PaymentEventType.Created"/> event), a poll result, a cancel. Every registered sink is told, in registration
/// order, by the one write path (<see cref="Writing.PaymentWriter"/>). Each component registers what must follow a
/// save: the payment metrics (<c>AddBakongPayments</c>), the watch streams' wake-up (<c>AddPaymentWatchHub</c>; only
/// saves that appended events, so check bookkeeping is not a message), the webhook dispatcher's
/// (<c>AddWebhookDispatcher</c>), the poller's on a creation (<c>AddPaymentPoller</c>), the serial display bridge
/// (<c>AddDisplayBridge</c>).
/// </summary>
/// <remarks>Called on the saving component's loop or request: an implementation returns at once and does not throw.</remarks>
public interface IPaymentChangeSink
{
    /// <summary>The store saved <paramref name="payment"/> (no unsaved changes left) with <paramref name="events"/> appended (often none: check bookkeeping).</summary>
    void Saved(Payment payment, IReadOnlyList<PaymentEvent> events);
}
