namespace Bakong.Sandbox.Calls;

/// <summary>
/// One call the simulated Bakong answered: which endpoint, when (Unix ms on the sandbox's clock) and, for the list
/// endpoints, the md5s or hashes it was asked about (neither is a secret; the token never is recorded).
/// </summary>
public sealed record SandboxCall(string Endpoint, long AtMs, IReadOnlyList<string>? Keys);

/// <summary>
/// The Bakong API calls the sandbox answered, newest <see cref="Capacity"/> kept, and a count per endpoint that is
/// never cut: how a test of several gateways counts what they asked Bakong together (<c>GET control/calls</c>), from
/// Bakong's side, where no gateway's own metric can be wrong about it.
/// </summary>
internal sealed class SandboxCallLog(TimeProvider timeProvider)
{
    /// <summary>Calls kept for <c>control/calls</c>: bounded, so a long-running sandbox does not grow without end.</summary>
    public const int Capacity = 10_000;

    private readonly Lock _lock = new();
    private readonly Queue<SandboxCall> _calls = new();
    private readonly Dictionary<string, long> _totals = new(StringComparer.Ordinal);

    public void Record(string endpoint, IReadOnlyList<string>? keys)
    {
        var call = new SandboxCall(endpoint, timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), keys);
        lock (_lock)
        {
            if (_calls.Count == Capacity)
            {
                _calls.Dequeue();
            }

            _calls.Enqueue(call);
            _totals[endpoint] = _totals.GetValueOrDefault(endpoint) + 1;
        }
    }

    /// <summary>The kept calls, oldest first; one endpoint's when <paramref name="endpoint"/> is given.</summary>
    public IReadOnlyList<SandboxCall> Calls(string? endpoint)
    {
        lock (_lock)
        {
            return [.. _calls.Where(c => endpoint is null || c.Endpoint == endpoint)];
        }
    }

    /// <summary>Calls answered per endpoint since the start (or the last <see cref="Clear"/>), kept or not.</summary>
    public IReadOnlyDictionary<string, long> Totals()
    {
        lock (_lock)
        {
            return new Dictionary<string, long>(_totals, StringComparer.Ordinal);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _calls.Clear();
            _totals.Clear();
        }
    }
}
