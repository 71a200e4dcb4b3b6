namespace Bakong.Payments.Webhooks;

/// <summary>
/// The webhook dispatcher's side of every saved payment change: a change that appended an outbox entry (any event but
/// <see cref="PaymentEventType.Created"/>) wakes the dispatcher, so the webhook goes out now rather than at its next poll.
/// </summary>
internal sealed class WebhookWakeup(IWebhookSignal webhooks) : IPaymentChangeSink
{
    public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            if (e.Type != PaymentEventType.Created)
            {
                webhooks.Notify();
                return;
            }
        }
    }
}
