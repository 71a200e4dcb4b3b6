namespace Bakong.Payments.Webhooks;

/// <summary>
/// The delay before the next attempt: exponential with "equal jitter". After failure <c>n</c> the ceiling is
/// <c>min(BackoffMax, BackoffBase · 2^(n-1))</c> and the delay a random point in <c>[ceiling/2, ceiling]</c>, so
/// retries of many entries after one outage spread out, yet never come sooner than half the plan.
/// </summary>
internal static class WebhookBackoff
{
    /// <param name="failures">Failed attempts so far, including the one just made (1 or more).</param>
    /// <param name="baseDelay">The ceiling after the first failure.</param>
    /// <param name="maxDelay">The largest ceiling.</param>
    /// <param name="random">A uniform sample in [0, 1).</param>
    public static TimeSpan Delay(int failures, TimeSpan baseDelay, TimeSpan maxDelay, double random)
    {
        var ceiling = Ceiling(failures, baseDelay, maxDelay);
        return ceiling / 2 + ceiling / 2 * Math.Clamp(random, 0, 1);
    }

    /// <summary>The longest delay <see cref="Delay"/> can return for <paramref name="failures"/>.</summary>
    public static TimeSpan Ceiling(int failures, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(failures);

        // 2^30 already overflows any sane base; clamp the exponent before multiplying.
        var exponent = Math.Min(failures - 1, 30);
        var ticks = baseDelay.Ticks * (double)(1L << exponent);
        return ticks >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)ticks);
    }
}
