namespace Bakong.Payments;

/// <summary>
/// Told about every payment change right after it is saved: a creation (<see cref="Creation.PaymentCreation"/>, with the
/// <see cref="PaymentEventType.Created"/> event), a poll result, a cancel. Every registered sink is told. The host wires
/// sinks to what must follow a save: the watch hub (<c>WatchPayment</c> streams; only saves that appended events, so
/// check bookkeeping is not a message), the webhook dispatcher's wake-up, the serial display bridge.
/// </summary>
/// <remarks>Called on the saving component's loop or request: an implementation returns at once and does not throw.</remarks>
public interface IPaymentChangeSink
{
    /// <summary>The store saved <paramref name="payment"/> (no unsaved changes left) with <paramref name="events"/> appended (often none: check bookkeeping).</summary>
    void Saved(Payment payment, IReadOnlyList<PaymentEvent> events);
}
