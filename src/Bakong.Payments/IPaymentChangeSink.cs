namespace Bakong.Payments;

/// <summary>
/// Told about every payment change a background component (the poller) saved, right after the save. The host wires it
/// to what must follow a save: the watch hub (<c>WatchPayment</c> streams) and the webhook dispatcher's wake-up.
/// </summary>
/// <remarks>Called on the saving component's loop: an implementation returns at once and does not throw.</remarks>
public interface IPaymentChangeSink
{
    /// <summary>The store saved <paramref name="payment"/> (no unsaved changes left) with <paramref name="events"/> appended (often none: check bookkeeping).</summary>
    void Saved(Payment payment, IReadOnlyList<PaymentEvent> events);
}
