namespace Bakong.Payments.Watching;

/// <summary>
/// One watching stream's inbox: at most one snapshot waits in it. A newer snapshot replaces a waiting one, so a
/// slow reader skips versions instead of making the publisher wait or buffering without bound — except that a
/// waiting terminal snapshot is never replaced, so every stream ends on a terminal state it was actually shown.
/// </summary>
/// <remarks>
/// Versions order everything: savers may publish out of order (two threads finishing their saves), and a change
/// published between subscribing and the first store read must not be shown twice, so anything at or below the
/// highest version already accepted is ignored. One reader per mailbox; any number of publishers.
/// </remarks>
internal sealed class WatchMailbox
{
    private readonly Lock _gate = new();
    private PaymentSnapshot? _pending;
    private long _highWater;
    private TaskCompletionSource? _waiter;

    public WatchMailbox(string paymentId) => PaymentId = paymentId;

    public string PaymentId { get; }

    /// <summary>Offers a published change. Never blocks beyond a short lock and never runs the reader's code.</summary>
    public void Offer(PaymentSnapshot snapshot)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (snapshot.Version <= _highWater || (_pending is { } waiting && PaymentWatchHub.IsTerminal(waiting.State)))
            {
                return;
            }

            _pending = snapshot;
            _highWater = snapshot.Version;
            wake = _waiter;
            _waiter = null;
        }

        // RunContinuationsAsynchronously: the reader resumes on the thread pool, not inside Publish.
        wake?.TrySetResult();
    }

    /// <summary>The stream has shown (or the client already had) <paramref name="version"/>: drop anything not newer.</summary>
    public void Skip(long version)
    {
        lock (_gate)
        {
            if (_pending is { } waiting && waiting.Version <= version)
            {
                _pending = null;
            }

            _highWater = Math.Max(_highWater, version);
        }
    }

    /// <summary>Waits for the next snapshot newer than everything taken so far.</summary>
    public async ValueTask<PaymentSnapshot> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task ready;
            lock (_gate)
            {
                if (_pending is { } next)
                {
                    _pending = null;
                    return next;
                }

                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                ready = _waiter.Task;
            }

            await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
