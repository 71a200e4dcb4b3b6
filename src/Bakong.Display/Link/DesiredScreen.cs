using Bakong.Display.Protocol;

namespace Bakong.Display.Link;

/// <summary>
/// What the host wants a display to show (SPEC.md §10.1): <see cref="IdleScreen"/>, <see cref="QrScreen"/> (a payment
/// waiting) or <see cref="ResultScreen"/> (a payment's result). The link sends it whole on every re-sync, in the
/// commands the device's version needs, until the device acknowledges it. A payment only moves forward: once any
/// result is desired for it, its QR is never desired again (<see cref="DisplayController"/> refuses it).
/// </summary>
public abstract record DesiredScreen;

/// <summary>The idle screen: the merchant's name and an optional second line.</summary>
public sealed record IdleScreen(string MerchantName, string Line2) : DesiredScreen;

/// <summary>
/// A payment as a display shows it. Its content is immutable (SPEC.md §6.1): every command for
/// <see cref="PaymentId"/> carries the same amount and QR. <see cref="Currency"/> is ISO 4217 numeric (116 KHR, 840 USD),
/// <see cref="Exponent"/> its minor-unit digits, <see cref="ExpireUnixMs"/> the QR's absolute expiry; the merchant name
/// is at most 96 UTF-8 bytes (the link shortens it further when a frame needs the room).
/// </summary>
public sealed record DisplayPayment(
    string PaymentId, ulong AmountMinor, ushort Currency, byte Exponent, ulong ExpireUnixMs, string MerchantName, string Qr);

/// <summary>Payment <see cref="Payment"/> waiting: its QR with the seconds left, computed at each send.</summary>
public sealed record QrScreen(DisplayPayment Payment) : DesiredScreen
{
    public string PaymentId => Payment.PaymentId;
}

/// <summary>Payment <see cref="Payment"/>'s result (PAID, FAILED, EXPIRED or CANCELLED) with a message.</summary>
public sealed record ResultScreen(DisplayPayment Payment, DisplayStatus Status, string Message) : DesiredScreen
{
    public string PaymentId => Payment.PaymentId;
}

/// <summary>The link as the host sees it.</summary>
public enum DisplayLinkState
{
    /// <summary>The port is not open yet, or is being reopened.</summary>
    Disconnected = 0,

    /// <summary>Open; HELLO sent, no HELLO_ACK yet.</summary>
    Connecting = 1,

    /// <summary>HELLO_ACK received and the device answers.</summary>
    Online = 2,

    /// <summary>The device stopped answering (retransmits exhausted or silence).</summary>
    Offline = 3,

    /// <summary>The device speaks another major version: not operated.</summary>
    Incompatible = 4,
}

/// <summary>A snapshot of one display's link for health and <c>bakong display status</c>.</summary>
public sealed record DisplayLinkStatus
{
    public DisplayLinkState State { get; init; }

    public uint? BootId { get; init; }

    public string? FirmwareVersion { get; init; }

    public string? Model { get; init; }

    public string? Serial { get; init; }

    public DateTimeOffset? LastAckTime { get; init; }

    public DateTimeOffset? LastFrameTime { get; init; }

    /// <summary>What the device last reported it shows (STATE_CHANGED).</summary>
    public DisplayScreenKind? DeviceScreen { get; init; }

    public DisplayStatus DeviceStatus { get; init; }

    public string? DevicePaymentId { get; init; }

    /// <summary>The device's minor version (HELLO_ACK): 1 for v1.1, 0 for v1.0; null before the first handshake.</summary>
    public byte? ProtocolMinor { get; init; }

    /// <summary>The device's capabilities (HELLO_ACK).</summary>
    public DeviceCapabilities Capabilities { get; init; }

    /// <summary>Why the host does not (fully) drive a device that answers: a QR key it lacks or that does not match, an MTU too small. Null: none.</summary>
    public string? Problem { get; init; }

    public long Retransmits { get; init; }

    /// <summary>Received frames the host's decoder dropped, all reasons (<see cref="Drops"/> has them per reason).</summary>
    public long FramesDropped { get; init; }

    /// <summary>Received frames dropped per reason (SPEC.md §12).</summary>
    public FrameDrops Drops { get; init; } = FrameDrops.None;

    public long Reconnects { get; init; }

    /// <summary>Why the link is not online now (cleared when it is).</summary>
    public string? LastError { get; init; }

    /// <summary>The last fault the link saw (a NAK, a timeout, an incompatible version, a port error), kept once it recovers; null: none since the start.</summary>
    public LinkFault? LastFault { get; init; }
}

/// <summary>The host's receive-side drop counters of one display, one per reason of SPEC.md §4.2.</summary>
public sealed record FrameDrops(long CobsInvalid, long TooShort, long LengthMismatch, long BadCrc, long TooLong)
{
    public static readonly FrameDrops None = new(0, 0, 0, 0, 0);

    public long Total => CobsInvalid + TooShort + LengthMismatch + BadCrc + TooLong;

    public long this[FrameError reason] => reason switch
    {
        FrameError.CobsInvalid => CobsInvalid,
        FrameError.TooShort => TooShort,
        FrameError.LengthMismatch => LengthMismatch,
        FrameError.BadCrc => BadCrc,
        _ => TooLong,
    };

    public FrameDrops Add(FrameDrops more) => new(
        CobsInvalid + more.CobsInvalid, TooShort + more.TooShort, LengthMismatch + more.LengthMismatch, BadCrc + more.BadCrc, TooLong + more.TooLong);

    /// <summary>The counts of <paramref name="decoder"/>.</summary>
    public static FrameDrops Of(FrameDecoder decoder) => new(
        decoder.ErrorsOf(FrameError.CobsInvalid), decoder.ErrorsOf(FrameError.TooShort), decoder.ErrorsOf(FrameError.LengthMismatch),
        decoder.ErrorsOf(FrameError.BadCrc), decoder.ErrorsOf(FrameError.TooLong));

    /// <summary>The metric label of a reason: <c>cobs_invalid</c>, <c>too_short</c>, <c>length_mismatch</c>, <c>bad_crc</c>, <c>too_long</c>.</summary>
    public static string LabelOf(FrameError reason) => reason switch
    {
        FrameError.CobsInvalid => "cobs_invalid",
        FrameError.TooShort => "too_short",
        FrameError.LengthMismatch => "length_mismatch",
        FrameError.BadCrc => "bad_crc",
        _ => "too_long",
    };
}
