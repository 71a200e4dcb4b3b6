namespace Bakong.Display;

/// <summary>
/// The clock of the display links' timers (RTO, heartbeat, link timeout, reconnect backoff, result hold): the host's
/// <see cref="TimeProvider"/> unless replaced. A test that fakes the payment clock gives the links a real one here,
/// because a device on a real serial port answers in real time.
/// </summary>
public sealed class DisplayClock(TimeProvider time)
{
    public TimeProvider Time { get; } = time;
}
