using Bakong.Display.Protocol;

namespace Bakong.Display.Link;

/// <summary>
/// One command a host sends a display only when an operator asks (SPEC.md §6.4: SET_CONFIG, BEEP, CLEAR, GET_STATE,
/// which the gateway never sends in normal operation), so a display maker can exercise them. It goes through the
/// display's link like any request (its sequence number, its retransmits, stop-and-wait), never beside it: submitted
/// with <see cref="DisplayController.TrySubmit"/>, its <see cref="Answer"/> completes with what the device said, or
/// why it said nothing.
/// </summary>
public sealed class DeviceCommand
{
    private readonly TaskCompletionSource<DeviceCommandAnswer> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DeviceCommand(DisplayMessage message) => Message = message;

    public DisplayMessage Message { get; }

    /// <summary>The device's answer, or why none came; never faults.</summary>
    public Task<DeviceCommandAnswer> Answer => _answer.Task;

    /// <summary>The link took it to send (it is in flight or answered): withdrawing it no longer stops it.</summary>
    internal bool Taken { get; set; }

    /// <summary>SET_CONFIG with the keys given (null: the device keeps that value).</summary>
    public static DeviceCommand SetConfig(byte? brightness, bool? beepOnResult, byte? language)
    {
        if (brightness > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(brightness), brightness, "brightness is 0-100 percent");
        }

        if (language > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(language), language, "language is 0 (English) or 1 (Khmer)");
        }

        return new(new SetConfigMessage(brightness, beepOnResult is { } beep ? (byte)(beep ? 1 : 0) : null, language));
    }

    /// <summary>BEEP: pattern 1 short, 2 success, 3 error; repeat 0 plays nothing.</summary>
    public static DeviceCommand Beep(byte pattern, byte repeat) => new(new BeepMessage(pattern, repeat));

    /// <summary>CLEAR: the device's own idle screen. The link then repaints the desired screen (see <see cref="HostLink"/>).</summary>
    public static DeviceCommand Clear() => new(new EmptyMessage(MessageType.Clear));

    /// <summary>GET_STATE: what the device shows, and in v1.1 its frame counters.</summary>
    public static DeviceCommand GetState() => new(new EmptyMessage(MessageType.GetState));

    internal void Complete(DeviceCommandAnswer answer) => _answer.TrySetResult(answer);
}

/// <summary>
/// What came of a <see cref="DeviceCommand"/>: the device's ACK (<see cref="Ack"/>: OK, or the NAK's reason), its
/// STATE (for GET_STATE), or <see cref="NotAnswered"/>, why no answer came (the link's words, never the device's bytes).
/// </summary>
public sealed record DeviceCommandAnswer
{
    public AckResult? Ack { get; init; }

    /// <summary>GET_STATE's answer, its payment id already escaped as every text from a device is.</summary>
    public StateMessage? State { get; init; }

    public string? NotAnswered { get; init; }

    internal static DeviceCommandAnswer Failed(string reason) => new() { NotAnswered = reason };
}
