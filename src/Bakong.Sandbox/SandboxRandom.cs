namespace Bakong.Sandbox;

/// <summary>
/// The one seeded <see cref="Random"/> behind fault rates, codes, token ids, hashes and external refs
/// (<see cref="SandboxOptions.Seed"/>): one sequence for all of them, so a run repeats exactly when its calls do.
/// </summary>
/// <remarks>
/// Its lock is a leaf: the tokens, the ledger and the faults draw while holding their own lock, and a draw never calls
/// out, so no lock is ever taken inside this one.
/// </remarks>
internal sealed class SandboxRandom(int seed)
{
    private readonly Lock _lock = new();
    private Random _random = new(seed);

    /// <summary>Restarts the sequence from <paramref name="seed"/>.</summary>
    public void Reseed(int seed)
    {
        lock (_lock)
        {
            _random = new Random(seed);
        }
    }

    /// <summary>Runs <paramref name="draw"/> on the sequence; everything it draws is contiguous in it.</summary>
    public T Draw<T>(Func<Random, T> draw)
    {
        lock (_lock)
        {
            return draw(_random);
        }
    }
}
