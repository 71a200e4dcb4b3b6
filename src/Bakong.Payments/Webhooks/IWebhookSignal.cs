using System.Threading.Channels;

namespace Bakong.Payments.Webhooks;

/// <summary>
/// Wakes the webhook dispatcher: call <see cref="Notify"/> after saving a transition that appended an outbox entry,
/// so the webhook goes out at once instead of at the next poll. Never blocks and never fails; without a call the
/// entry still goes out within <see cref="WebhookOptions.PollInterval"/>.
/// </summary>
public interface IWebhookSignal
{
    void Notify();
}

/// <summary>A coalescing wake-up: many notifications while the dispatcher is busy become one more pass.</summary>
internal sealed class WebhookSignal : IWebhookSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Notify() => _channel.Writer.TryWrite(true);

    /// <summary>Completes when notified (and consumes the notification).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        _channel.Reader.TryRead(out _);
    }

    /// <summary>Drops a pending notification: the pass about to start will see what it announced.</summary>
    public void Reset() => _channel.Reader.TryRead(out _);
}
