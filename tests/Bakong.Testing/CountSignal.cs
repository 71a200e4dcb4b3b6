namespace Bakong.Testing;

/// <summary>
/// A count that only goes up, with waits for it to reach a number: the sync point "the n-th of these has happened"
/// (timers created, reads made, messages seen) without polling or sleeping.
/// </summary>
public sealed class CountSignal
{
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private int _count;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Counts one more and completes the waits it reaches; returns the new count.</summary>
    public int Increment()
    {
        lock (_gate)
        {
            _count++;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count <= _count)
                {
                    _waiters[i].Reached.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }

            return _count;
        }
    }

    /// <summary>Completes once the count is at least <paramref name="count"/> (at once if it already is).</summary>
    public Task ReachedAsync(int count)
    {
        lock (_gate)
        {
            if (_count >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task;
        }
    }
}
