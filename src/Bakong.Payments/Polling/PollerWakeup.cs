namespace Bakong.Payments.Polling;

/// <summary>
/// The poller's side of every saved payment change: a creation wakes it, because a new payment's first check is due at
/// once and should not wait for the next tick.
/// </summary>
/// <remarks>
/// Sinks are told in registration order, so the poller may run that first check while later sinks (a display) are
/// still being told about the creation. That is harmless: a check this early can only save bookkeeping (no customer
/// has the QR yet), which appends no event, and every sink takes a pending payment it already shows as no news.
/// </remarks>
internal sealed class PollerWakeup(IPollerSignal poller) : IPaymentChangeSink
{
    public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            if (e.Type == PaymentEventType.Created)
            {
                poller.Notify();
                return;
            }
        }
    }
}
