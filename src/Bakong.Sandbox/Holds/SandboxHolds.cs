namespace Bakong.Sandbox.Holds;

/// <summary>
/// Requests held by the latency or timeout fault, counted so a test can wait until a request is certainly held before
/// it moves a fake clock.
/// </summary>
internal sealed class SandboxHolds(TimeProvider timeProvider)
{
    private readonly Lock _lock = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private int _held;

    /// <summary>Requests held right now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _held;
            }
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> requests are held.</summary>
    public Task WaitForAsync(int count, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_held >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Holds the calling request for <paramref name="duration"/> on the sandbox's clock, counted meanwhile.</summary>
    public async Task HoldAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        // The timer starts before the request counts as held, so whoever waits for the hold and then moves the
        // clock moves it for this timer too.
        var delay = Task.Delay(duration, timeProvider, cancellationToken);
        Enter();
        try
        {
            await delay.ConfigureAwait(false);
        }
        finally
        {
            Leave();
        }
    }

    private void Enter()
    {
        lock (_lock)
        {
            _held++;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count <= _held)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private void Leave()
    {
        lock (_lock)
        {
            _held--;
        }
    }
}
