using Microsoft.Extensions.Logging;

namespace Bakong.Sandbox.Faults;

/// <summary>The faults in force, and the draw that decides once per Bakong call which of them strike it.</summary>
internal sealed class SandboxFaultInjector(SandboxRandom random, ILogger logger)
{
    private readonly Lock _lock = new();
    private SandboxFaults _faults = SandboxFaults.None;

    /// <summary>The faults in force; setting replaces them all.</summary>
    /// <exception cref="ArgumentException">A rate or status is out of range.</exception>
    public SandboxFaults Current
    {
        get
        {
            lock (_lock)
            {
                return _faults;
            }
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Validate() is { } problem)
            {
                throw new ArgumentException(problem, nameof(value));
            }

            lock (_lock)
            {
                _faults = value;
            }

            SandboxLog.FaultsChanged(logger, value);
        }
    }

    /// <summary>No faults from now on; unlike setting <see cref="Current"/>, part of a reset and not logged.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _faults = SandboxFaults.None;
        }
    }

    public FaultDecision Draw(BakongEndpoint endpoint)
    {
        // Drawn under the lock, as when one lock guarded all the sandbox: a reset that clears the faults and then
        // reseeds never leaves a call drawing the new sequence with the old faults.
        lock (_lock)
        {
            var faults = _faults;
            var forbidden = faults.GeoBlocked || (faults.Md5ListForbidden && endpoint.Kind == BakongEndpointKind.Md5List);
            return random.Draw(r => new FaultDecision(
                forbidden,
                TimeSpan.FromMilliseconds(faults.LatencyMs),
                Draw(r, faults.TimeoutRate),
                Draw(r, faults.TooManyRequestsRate),
                Draw(r, faults.ServerErrorRate) ? faults.ServerErrorStatus : 0,
                Draw(r, faults.MalformedJsonRate)));
        }
    }

    // A rate of 0 or 1 draws nothing, so turning one fault fully on or off does not shift the sequence the others see.
    private static bool Draw(Random random, double rate) => rate >= 1 || (rate > 0 && random.NextDouble() < rate);
}
