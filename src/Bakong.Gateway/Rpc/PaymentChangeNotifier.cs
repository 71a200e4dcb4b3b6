using Bakong.Payments;
using Bakong.Payments.Watching;
using Bakong.Payments.Webhooks;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// What follows every saved payment change, whoever saved it (a cancel here, the poller through
/// <see cref="IPaymentChangeSink"/>): the watch hub wakes that payment's streams, and a change that appended an event
/// (and so an outbox entry) wakes the webhook dispatcher.
/// </summary>
internal sealed class PaymentChangeNotifier(PaymentWatchHub hub, IWebhookSignal webhooks) : IPaymentChangeSink
{
    public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(events);
        hub.Publish(payment);
        if (events.Any(e => e.Type != PaymentEventType.Created))
        {
            webhooks.Notify();
        }
    }
}
