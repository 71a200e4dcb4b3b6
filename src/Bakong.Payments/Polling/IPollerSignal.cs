using System.Threading.Channels;

namespace Bakong.Payments.Polling;

/// <summary>
/// Wakes the payment poller before its next tick, so payments due by now are checked at once. Nothing in the gateway
/// needs it (a new payment waits for the next tick: see <see cref="PaymentPollerOptions"/>); tests that move the clock
/// on call it.
/// </summary>
public interface IPollerSignal
{
    void Notify();
}

/// <summary>
/// A wake-up that is never lost: a notification while the poller is busy makes its next wait return at once. Many
/// notifications before one wait count as one.
/// </summary>
internal sealed class PollerSignal : IPollerSignal
{
    private readonly Channel<bool> _wakeups = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Notify() => _wakeups.Writer.TryWrite(true);

    /// <summary>Returns after <paramref name="timeout"/> on <paramref name="timeProvider"/>'s clock, or at once when notified.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (_wakeups.Reader.TryRead(out _) || timeout <= TimeSpan.Zero)
        {
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var woken = _wakeups.Reader.WaitToReadAsync(stop.Token).AsTask();
        var elapsed = Task.Delay(timeout, timeProvider, stop.Token);
        await Task.WhenAny(woken, elapsed).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        _wakeups.Reader.TryRead(out _);
    }
}
