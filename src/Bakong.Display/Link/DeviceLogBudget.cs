using Microsoft.Extensions.Logging;

namespace Bakong.Display.Link;

/// <summary>
/// How much one display can make the host log: a token bucket of <see cref="Burst"/> lines, refilled at
/// <see cref="PerMinute"/> a minute. A display that floods LOG or BOOT frames (or makes the link flap) once produced
/// 7 MB of log in 3 minutes; past the bucket its lines are dropped and counted (<see cref="Suppressed"/>, the metric
/// <c>bakong.display.log.suppressed</c>), with one line when suppression starts and one when logging resumes.
/// </summary>
/// <remarks>
/// One per display (it lives in the <see cref="DisplayController"/>), so reconnecting gives a device no new burst.
/// Time comes from the link's clock. Lines below the logger's level neither spend nor count.
/// </remarks>
internal sealed class DeviceLogBudget
{
    public const int Burst = 20;
    public const int PerMinute = 10;

    private static readonly TimeSpan s_refill = TimeSpan.FromMinutes(1) / PerMinute;
    private readonly Lock _lock = new();
    private int _tokens = Burst;
    private DateTimeOffset? _refilled;
    private long _suppressed;
    private long _suppressedSinceLastLine;

    /// <summary>The lines suppressed since the display was configured.</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);

    /// <summary>
    /// Whether a line at <paramref name="level"/> about <paramref name="terminalId"/>'s display may be written now;
    /// spends a token if so. Writes the "suppressed" and "resumed" lines itself.
    /// </summary>
    public bool Allows(ILogger logger, LogLevel level, string terminalId, DateTimeOffset now)
    {
        if (!logger.IsEnabled(level))
        {
            return false;
        }

        bool allowed;
        var started = false;
        long resumedAfter = 0;
        lock (_lock)
        {
            TopUp(now);
            allowed = _tokens > 0;
            if (allowed)
            {
                _tokens--;
                resumedAfter = _suppressedSinceLastLine;
                _suppressedSinceLastLine = 0;
            }
            else
            {
                Interlocked.Increment(ref _suppressed);
                started = _suppressedSinceLastLine++ == 0;
            }
        }

        if (started)
        {
            DisplayLog.DeviceLinesSuppressed(logger, terminalId, Burst, PerMinute);
        }
        else if (resumedAfter > 0)
        {
            DisplayLog.DeviceLinesResumed(logger, terminalId, resumedAfter);
        }

        return allowed;
    }

    private void TopUp(DateTimeOffset now)
    {
        if (_refilled is not { } last)
        {
            _refilled = now;
            return;
        }

        var earned = (long)((now - last) / s_refill);
        if (earned <= 0)
        {
            return; // also a clock that went back: no tokens, and no reset of the refill time
        }

        if (_tokens + earned >= Burst)
        {
            _tokens = Burst;
            _refilled = now;
        }
        else
        {
            _tokens += (int)earned;
            _refilled = last + (s_refill * earned);
        }
    }
}
