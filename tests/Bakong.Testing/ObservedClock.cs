using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Testing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports every timer created on it (a <c>Task.Delay</c> makes one): the sync
/// point for advancing the clock only once the code under test is actually waiting on it.
/// </summary>
public sealed class ObservedClock(DateTimeOffset start) : TimeProvider
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public FakeTimeProvider Fake { get; } = new(start);

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>Waits until a timer due in exactly <paramref name="dueTime"/> is created (other timers are skipped).</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime)
    {
        var ct = TestContext.Current.CancellationToken;
        while (await _timers.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct) != dueTime)
        {
        }
    }
}
