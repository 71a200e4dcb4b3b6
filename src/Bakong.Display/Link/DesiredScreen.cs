using Bakong.Display.Protocol;

namespace Bakong.Display.Link;

/// <summary>What the host wants a display to show; the host re-sends it whole until the display acknowledges it.</summary>
public abstract record DesiredScreen;

/// <summary>The idle screen: the merchant's name and an optional second line.</summary>
public sealed record IdleScreen(string MerchantName, string Line2) : DesiredScreen;

/// <summary>
/// A payment's QR and its status. <see cref="Qr"/> is the SHOW_QR to send, its <see cref="ShowQrMessage.SecondsLeft"/>
/// recomputed from <see cref="ShowQrMessage.ExpireUnixMs"/> at each send; <see cref="Status"/> is the status to show
/// over it (<see cref="DisplayStatus.Waiting"/> needs no SET_STATUS: SHOW_QR shows it).
/// </summary>
public sealed record QrScreen(ShowQrMessage Qr, DisplayStatus Status, string Message) : DesiredScreen
{
    public string PaymentId => Qr.PaymentId;
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

    public long Retransmits { get; init; }

    public long FramesDropped { get; init; }

    public long Reconnects { get; init; }

    public string? LastError { get; init; }
}
