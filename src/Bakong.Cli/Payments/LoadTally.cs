using Grpc.Core;

namespace Bakong.Cli.Payments;

/// <summary>One kind of call in a load run, as its calls end (from many threads at once).</summary>
internal sealed class LoadTally
{
    private readonly Lock _gate = new();
    private readonly List<double> _latenciesMs = [];
    private int _errors;
    private int _couldNotStart;
    private TimeSpan _time;
    private RpcException? _firstError;

    /// <summary>Calls started: answered or failed.</summary>
    public int Calls
    {
        get
        {
            lock (_gate)
            {
                return _latenciesMs.Count + _errors;
            }
        }
    }

    public void Answered(TimeSpan latency)
    {
        lock (_gate)
        {
            _latenciesMs.Add(latency.TotalMilliseconds);
        }
    }

    public void Failed(RpcException error)
    {
        lock (_gate)
        {
            _errors++;
            _firstError ??= error;
        }
    }

    public void CouldNotStart()
    {
        lock (_gate)
        {
            _couldNotStart++;
        }
    }

    /// <summary>Adds a block's time, from its start to its last answer.</summary>
    public void AddTime(TimeSpan time)
    {
        lock (_gate)
        {
            _time += time;
        }
    }

    public LoadSummary Summarize()
    {
        lock (_gate)
        {
            var sorted = _latenciesMs.ToArray();
            Array.Sort(sorted);
            return new LoadSummary(sorted, _errors, _couldNotStart, _time.TotalSeconds, _firstError);
        }
    }
}

/// <summary>
/// A kind's result: calls answered (their latencies in ms, sorted), failed, and not started, over its blocks' time.
/// Throughput and percentiles count answered calls only: a refused call is often much faster than a real one.
/// </summary>
internal sealed record LoadSummary(
    IReadOnlyList<double> SortedLatenciesMs,
    int Errors,
    int CouldNotStart,
    double Seconds,
    RpcException? FirstError)
{
    public int Answered => SortedLatenciesMs.Count;

    public int Calls => Answered + Errors;

    /// <summary>Answered calls per second; null when no time passed (a fake clock) to divide by.</summary>
    public double? PerSecond => Seconds > 0 ? Answered / Seconds : null;

    public double? P50Ms => Percentile(SortedLatenciesMs, 50);

    public double? P90Ms => Percentile(SortedLatenciesMs, 90);

    public double? P99Ms => Percentile(SortedLatenciesMs, 99);

    public double? MaxMs => Answered > 0 ? SortedLatenciesMs[Answered - 1] : null;

    /// <summary>
    /// The nearest-rank percentile: the smallest value with at least <paramref name="percent"/> % of the values at or
    /// below it, always one that was measured (p99 of 100 values is the 99th, of 1,000 the 990th, of 10 the 10th);
    /// null for no values. The rank is integer arithmetic: 0.29 × 100 in floating point is not 29.
    /// </summary>
    public static double? Percentile(IReadOnlyList<double> sorted, int percent)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return null;
        }

        var rank = (int)((((long)percent * sorted.Count) + 99) / 100);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }
}
