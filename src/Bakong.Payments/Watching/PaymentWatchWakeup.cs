using Bakong.Payments;
using Bakong.Payments.Watching;
using Bakong.Payments.Webhooks;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// What follows every saved payment change, whoever saved it (a cancel here, the poller through
/// <see cref="IPaymentChangeSink"/>): a change that appended an event (created, a state transition, a review) wakes
/// that payment's watch streams, and one that appended an outbox entry (any event but Created) wakes the webhook
/// dispatcher.
/// </summary>
/// <remarks>
/// Check bookkeeping (next check time, attempts) is saved every few seconds while a payment is pending and bumps its
/// version, but appends no event: it is not published, so a watcher is shown one message per change it can see
/// (the <c>WatchPayment</c> contract in protos/bakong/payments/v1/payment_service.proto), not an unchanged payment
/// per poll, and the versions it is shown are not consecutive.
/// </remarks>
internal sealed class PaymentChangeNotifier(PaymentWatchHub hub, IWebhookSignal webhooks) : IPaymentChangeSink
{
    public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        hub.Publish(payment);
        if (events.Any(e => e.Type != PaymentEventType.Created))
        {
            webhooks.Notify();
        }
    }
}
