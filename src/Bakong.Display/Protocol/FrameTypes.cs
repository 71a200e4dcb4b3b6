namespace Bakong.Display.Protocol;

/// <summary>The frame header's <c>flags</c> byte; bits 2–7 are reserved (sent as 0, ignored).</summary>
[Flags]
public enum FrameOptions : byte
{
    None = 0,

    /// <summary>The receiver must answer this frame.</summary>
    AckRequested = 1,

    /// <summary>This frame answers the frame whose seq is in its header.</summary>
    Response = 2,
}

/// <summary>The message types of protocol v1.1 (host → device below 0x80, device → host from 0x80).</summary>
public enum MessageType : byte
{
    Hello = 0x01,
    Ping = 0x02,
    ShowIdle = 0x10,
    ShowQr = 0x11,
    SetStatus = 0x12,
    Clear = 0x13,

    /// <summary>v1.1: a payment's result screen, complete in one command (a v1.0 device answers UNKNOWN_TYPE).</summary>
    ShowResult = 0x14,
    SetConfig = 0x20,
    Beep = 0x22,
    GetState = 0x30,
    HelloAck = 0x81,
    Pong = 0x82,
    State = 0x83,
    Ack = 0x8F,
    Boot = 0x90,
    StateChanged = 0x91,
    Log = 0x92,
}

/// <summary>An ACK's result: OK, or why the request was not executed (the NAK).</summary>
public enum AckResult : byte
{
    Ok = 0,
    UnknownType = 1,
    BadPayload = 2,
    UnsupportedVersion = 3,
    TooLarge = 4,
    Busy = 5,
    BadState = 6,

    /// <summary>v1.1: the QR MAC trailer is missing or wrong, its counter is not above the last, or SET_STATUS reached a device with a key.</summary>
    AuthFailed = 7,
}

/// <summary>HELLO_ACK's capability bits.</summary>
[Flags]
public enum DeviceCapabilities : uint
{
    None = 0,
    Qr = 1,
    Beep = 2,
    Color = 4,
    KhmerText = 8,

    /// <summary>v1.1: the device holds a QR MAC key and requires the trailer on SHOW_QR and SHOW_RESULT (SPEC.md §6.5).</summary>
    QrMac = 16,
}

/// <summary>A payment's status as the display shows it (SET_STATUS, STATE, STATE_CHANGED; 0 = none).</summary>
public enum DisplayStatus : byte
{
    None = 0,
    Waiting = 1,
    Paid = 2,
    Failed = 3,
    Expired = 4,
    Cancelled = 5,
}

/// <summary>The language a display draws its own texts in (SET_CONFIG key 3; English after every boot).</summary>
public enum DisplayLanguage : byte
{
    English = 0,
    Khmer = 1,
}

/// <summary>What the display shows (PONG, STATE, STATE_CHANGED).</summary>
public enum DisplayScreenKind : byte
{
    Blank = 0,
    Idle = 1,
    Qr = 2,
    Status = 3,
}
