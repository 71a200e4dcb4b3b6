namespace Bakong.Payments.Watching;

/// <summary>
/// The watch hub's side of every saved payment change, whoever saved it (creation, a cancel, the poller): a change that
/// appended an event (created, a state transition, a review) wakes that payment's watch streams and its terminal's
/// (<see cref="TerminalWatchHub"/>).
/// </summary>
/// <remarks>
/// Check bookkeeping (next check time, attempts) is saved every few seconds while a payment is pending and bumps its
/// version, but appends no event: it is not published, so a watcher is shown one message per change it can see
/// (the <c>WatchPayment</c> contract in protos/bakong/payments/v1/payment_service.proto), not an unchanged payment
/// per poll, and the versions it is shown are not consecutive.
/// </remarks>
internal sealed class PaymentWatchWakeup(PaymentWatchHub hub, TerminalWatchHub terminals) : IPaymentChangeSink
{
    public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count > 0)
        {
            hub.Publish(payment);
            terminals.Publish(payment.ToSnapshot());
        }
    }
}
