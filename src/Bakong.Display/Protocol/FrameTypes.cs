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

/// <summary>The message types of protocol v1 (host → device below 0x80, device → host from 0x80).</summary>
public enum MessageType : byte
{
    Hello = 0x01,
    Ping = 0x02,
    ShowIdle = 0x10,
    ShowQr = 0x11,
    SetStatus = 0x12,
    Clear = 0x13,
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

/// <summary>What the display shows (PONG, STATE, STATE_CHANGED).</summary>
public enum DisplayScreenKind : byte
{
    Blank = 0,
    Idle = 1,
    Qr = 2,
    Status = 3,
}
