namespace Bakong.Display.Protocol;

/// <summary>
/// One message of protocol v1.1, as a frame payload. <see cref="Write"/> packs it; <see cref="DisplayMessages.TryRead"/>
/// unpacks any type. Fields are little-endian; strings are <c>str8</c>/<c>str16</c> UTF-8 with the limits of
/// <see cref="PayloadLimits"/>. A reader ignores bytes after the fields it knows (a newer minor version appends).
/// </summary>
public abstract record DisplayMessage
{
    public abstract MessageType Type { get; }

    public abstract void Write(ref PayloadWriter writer);

    /// <summary>The payload bytes, in a new array.</summary>
    public byte[] ToPayload()
    {
        Span<byte> buffer = stackalloc byte[FrameCodec.MaxPayload];
        var writer = new PayloadWriter(buffer);
        Write(ref writer);
        return writer.WrittenSpan.ToArray();
    }
}

public sealed record HelloMessage(byte ProtoMajor, byte ProtoMinor, ulong HostTimeUnixMs, ushort HeartbeatMs, ushort LinkTimeoutMs, string HostName) : DisplayMessage
{
    public override MessageType Type => MessageType.Hello;

    public override void Write(ref PayloadWriter writer)
    {
        writer.U8(ProtoMajor);
        writer.U8(ProtoMinor);
        writer.U64(HostTimeUnixMs);
        writer.U16(HeartbeatMs);
        writer.U16(LinkTimeoutMs);
        writer.Str8(HostName, PayloadLimits.Text);
    }
}

/// <summary>PING, CLEAR and GET_STATE: no fields.</summary>
public sealed record EmptyMessage(MessageType Kind) : DisplayMessage
{
    public override MessageType Type => Kind;

    public override void Write(ref PayloadWriter writer)
    {
    }
}

public sealed record ShowIdleMessage(string MerchantName, string Line2) : DisplayMessage
{
    public override MessageType Type => MessageType.ShowIdle;

    public override void Write(ref PayloadWriter writer)
    {
        writer.Str8(MerchantName, PayloadLimits.Text);
        writer.Str8(Line2, PayloadLimits.Text);
    }
}

/// <summary>SHOW_QR: <paramref name="Currency"/> is ISO 4217 numeric (116 KHR, 840 USD), <paramref name="Exponent"/> its minor-unit digits.</summary>
public sealed record ShowQrMessage(
    string PaymentId, ulong AmountMinor, ushort Currency, byte Exponent, ulong ExpireUnixMs, ushort SecondsLeft, string MerchantName, string Qr) : DisplayMessage
{
    public override MessageType Type => MessageType.ShowQr;

    public override void Write(ref PayloadWriter writer)
    {
        writer.Str8(PaymentId, PayloadLimits.PaymentId);
        writer.U64(AmountMinor);
        writer.U16(Currency);
        writer.U8(Exponent);
        writer.U64(ExpireUnixMs);
        writer.U16(SecondsLeft);
        writer.Str8(MerchantName, PayloadLimits.Text);
        writer.Str16(Qr, PayloadLimits.Qr);
    }
}

public sealed record SetStatusMessage(string PaymentId, DisplayStatus Status, string Message) : DisplayMessage
{
    public override MessageType Type => MessageType.SetStatus;

    public override void Write(ref PayloadWriter writer)
    {
        writer.Str8(PaymentId, PayloadLimits.PaymentId);
        writer.U8((byte)Status);
        writer.Str8(Message, PayloadLimits.Text);
    }
}

/// <summary>
/// SHOW_RESULT (v1.1): a payment's final screen in one command, with its content, so a device needs nothing shown before
/// it; <paramref name="Status"/> is PAID, FAILED, EXPIRED or CANCELLED.
/// </summary>
public sealed record ShowResultMessage(
    string PaymentId, DisplayStatus Status, ulong AmountMinor, ushort Currency, byte Exponent, string MerchantName, string Message) : DisplayMessage
{
    public override MessageType Type => MessageType.ShowResult;

    public override void Write(ref PayloadWriter writer)
    {
        writer.Str8(PaymentId, PayloadLimits.PaymentId);
        writer.U8((byte)Status);
        writer.U64(AmountMinor);
        writer.U16(Currency);
        writer.U8(Exponent);
        writer.Str8(MerchantName, PayloadLimits.Text);
        writer.Str8(Message, PayloadLimits.Text);
    }
}

/// <summary>SET_CONFIG: the keys present (1 brightness 0–100, 2 beep_on_result 0/1, 3 language 0 en / 1 km); packed in key order, RAM only.</summary>
public sealed record SetConfigMessage(byte? Brightness, byte? BeepOnResult, byte? Language) : DisplayMessage
{
    public const byte BrightnessKey = 1;
    public const byte BeepOnResultKey = 2;
    public const byte LanguageKey = 3;

    public override MessageType Type => MessageType.SetConfig;

    public override void Write(ref PayloadWriter writer)
    {
        Entry(ref writer, BrightnessKey, Brightness);
        Entry(ref writer, BeepOnResultKey, BeepOnResult);
        Entry(ref writer, LanguageKey, Language);
    }

    private static void Entry(ref PayloadWriter writer, byte key, byte? value)
    {
        if (value is { } v)
        {
            writer.U8(key);
            writer.U8(1);
            writer.U8(v);
        }
    }
}

public sealed record BeepMessage(byte Pattern, byte Repeat) : DisplayMessage
{
    public override MessageType Type => MessageType.Beep;

    public override void Write(ref PayloadWriter writer)
    {
        writer.U8(Pattern);
        writer.U8(Repeat);
    }
}

/// <summary>
/// HELLO_ACK. <paramref name="MacCounter"/> is the v1.1 field (the last QR MAC counter the device accepted in this boot):
/// null when absent (a v1.0 device; read as 0).
/// </summary>
public sealed record HelloAckMessage(
    byte ProtoMajor, byte ProtoMinor, uint BootId, ushort Mtu, uint Capabilities, string FwVersion, string Model, string Serial, uint? MacCounter = null) : DisplayMessage
{
    public override MessageType Type => MessageType.HelloAck;

    public DeviceCapabilities CapabilityFlags => (DeviceCapabilities)Capabilities;

    public override void Write(ref PayloadWriter writer)
    {
        writer.U8(ProtoMajor);
        writer.U8(ProtoMinor);
        writer.U32(BootId);
        writer.U16(Mtu);
        writer.U32(Capabilities);
        writer.Str8(FwVersion, PayloadLimits.Text);
        writer.Str8(Model, PayloadLimits.Text);
        writer.Str8(Serial, PayloadLimits.Text);
        if (MacCounter is { } counter)
        {
            writer.U32(counter);
        }
    }
}

public sealed record PongMessage(uint BootId, uint UptimeMs, DisplayScreenKind Screen) : DisplayMessage
{
    public override MessageType Type => MessageType.Pong;

    public override void Write(ref PayloadWriter writer)
    {
        writer.U32(BootId);
        writer.U32(UptimeMs);
        writer.U8((byte)Screen);
    }
}

/// <summary>STATE. <paramref name="Counters"/> is the v1.1 group (a device's frame counters since boot): null when absent (a v1.0 device).</summary>
public sealed record StateMessage(DisplayScreenKind Screen, DisplayStatus Status, ushort SecondsLeft, string PaymentId, StateCounters? Counters = null) : DisplayMessage
{
    public override MessageType Type => MessageType.State;

    public override void Write(ref PayloadWriter writer)
    {
        writer.U8((byte)Screen);
        writer.U8((byte)Status);
        writer.U16(SecondsLeft);
        writer.Str8(PaymentId, PayloadLimits.PaymentId);
        if (Counters is { } c)
        {
            writer.U32(c.FramesOk);
            writer.U32(c.CobsInvalid);
            writer.U32(c.TooShort);
            writer.U32(c.LengthMismatch);
            writer.U32(c.BadCrc);
            writer.U32(c.TooLong);
            writer.U32(c.Duplicates);
        }
    }
}

/// <summary>STATE's v1.1 counters since the device booted (each wraps at 2^32): valid frames, drops by reason (SPEC.md §12), duplicates answered from the cache.</summary>
public sealed record StateCounters(uint FramesOk, uint CobsInvalid, uint TooShort, uint LengthMismatch, uint BadCrc, uint TooLong, uint Duplicates)
{
    /// <summary>The bytes the group takes in a STATE payload.</summary>
    public const int Length = 28;

    /// <summary>The drop counter of <paramref name="error"/>.</summary>
    public uint DropsOf(FrameError error) => error switch
    {
        FrameError.CobsInvalid => CobsInvalid,
        FrameError.TooShort => TooShort,
        FrameError.LengthMismatch => LengthMismatch,
        FrameError.BadCrc => BadCrc,
        _ => TooLong,
    };
}

public sealed record AckMessage(AckResult Result, byte AckedType) : DisplayMessage
{
    public override MessageType Type => MessageType.Ack;

    public override void Write(ref PayloadWriter writer)
    {
        writer.U8((byte)Result);
        writer.U8(AckedType);
    }
}

public sealed record BootMessage(uint BootId, byte ResetReason, string FwVersion, string Model) : DisplayMessage
{
    public override MessageType Type => MessageType.Boot;

    public override void Write(ref PayloadWriter writer)
    {
        writer.U32(BootId);
        writer.U8(ResetReason);
        writer.Str8(FwVersion, PayloadLimits.Text);
        writer.Str8(Model, PayloadLimits.Text);
    }
}

/// <summary>STATE_CHANGED: <paramref name="Reason"/> 1 rendered, 2 expired_locally, 3 button.</summary>
public sealed record StateChangedMessage(DisplayScreenKind Screen, DisplayStatus Status, ushort SecondsLeft, string PaymentId, byte Reason) : DisplayMessage
{
    public const byte Rendered = 1;
    public const byte ExpiredLocally = 2;
    public const byte Button = 3;

    public override MessageType Type => MessageType.StateChanged;

    public override void Write(ref PayloadWriter writer)
    {
        writer.U8((byte)Screen);
        writer.U8((byte)Status);
        writer.U16(SecondsLeft);
        writer.Str8(PaymentId, PayloadLimits.PaymentId);
        writer.U8(Reason);
    }
}

public sealed record LogMessage(byte Level, string Text) : DisplayMessage
{
    public override MessageType Type => MessageType.Log;

    public override void Write(ref PayloadWriter writer)
    {
        writer.U8(Level);
        writer.Str8(Text, PayloadLimits.Text);
    }
}

/// <summary>Unpacks payloads by type.</summary>
public static class DisplayMessages
{
    /// <summary>The highest currency code a payment may carry (ISO 4217 numeric codes are 1–999).</summary>
    public const ushort MaxCurrency = 999;

    /// <summary>The most decimal places a payment's amount may have (ISO 4217 uses 0, 2, 3 and 4).</summary>
    public const byte MaxExponent = 4;

    /// <summary>Whether <paramref name="type"/> is a request a host sends to a device (SPEC.md §5.2).</summary>
    public static bool IsHostRequest(byte type) => (MessageType)type is MessageType.Hello or MessageType.Ping or MessageType.ShowIdle
        or MessageType.ShowQr or MessageType.SetStatus or MessageType.Clear or MessageType.ShowResult or MessageType.SetConfig
        or MessageType.Beep or MessageType.GetState;

    /// <summary>
    /// The v1.1 value ranges of a payment (SPEC.md §6.1): a payment_id of 1–32 bytes (the limit is the reader's),
    /// currency 1–999, exponent 0–4. A host never sends anything else; a v1.1 receiver refuses it with BAD_PAYLOAD.
    /// </summary>
    public static bool IsValidPayment(string paymentId, ushort currency, byte exponent) =>
        paymentId.Length > 0 && currency is >= 1 and <= MaxCurrency && exponent <= MaxExponent;

    /// <summary>
    /// Unpacks <paramref name="payload"/> as <paramref name="type"/>: <see cref="AckResult.Ok"/> and the message,
    /// <see cref="AckResult.UnknownType"/>, or <see cref="AckResult.BadPayload"/> (a length past the end, a string over
    /// its limit, a field out of range, v1.1's payment ranges included). Bytes after the known fields are ignored; a
    /// v1.1 group that is not wholly present is absent.
    /// </summary>
    public static AckResult TryRead(byte type, ReadOnlySpan<byte> payload, out DisplayMessage? message)
    {
        var r = new PayloadReader(payload);
        message = null;
        switch ((MessageType)type)
        {
            case MessageType.Hello:
                if (r.TryU8(out var major) && r.TryU8(out var minor) && r.TryU64(out var hostTime) && r.TryU16(out var heartbeat)
                    && r.TryU16(out var linkTimeout) && r.TryStr8(PayloadLimits.Text, out var hostName))
                {
                    message = new HelloMessage(major, minor, hostTime, heartbeat, linkTimeout, hostName);
                }

                break;
            case MessageType.Ping or MessageType.Clear or MessageType.GetState:
                message = new EmptyMessage((MessageType)type);
                break;
            case MessageType.ShowIdle:
                if (r.TryStr8(PayloadLimits.Text, out var merchant) && r.TryStr8(PayloadLimits.Text, out var line2))
                {
                    message = new ShowIdleMessage(merchant, line2);
                }

                break;
            case MessageType.ShowQr:
                if (r.TryStr8(PayloadLimits.PaymentId, out var paymentId) && r.TryU64(out var amount) && r.TryU16(out var currency)
                    && r.TryU8(out var exponent) && r.TryU64(out var expire) && r.TryU16(out var secondsLeft)
                    && r.TryStr8(PayloadLimits.Text, out var qrMerchant) && r.TryStr16(PayloadLimits.Qr, out var qr)
                    && IsValidPayment(paymentId, currency, exponent))
                {
                    message = new ShowQrMessage(paymentId, amount, currency, exponent, expire, secondsLeft, qrMerchant, qr);
                }

                break;
            case MessageType.SetStatus:
                if (r.TryStr8(PayloadLimits.PaymentId, out var statusPayment) && r.TryU8(out var status)
                    && status is >= (byte)DisplayStatus.Waiting and <= (byte)DisplayStatus.Cancelled
                    && r.TryStr8(PayloadLimits.Text, out var text) && statusPayment.Length > 0)
                {
                    message = new SetStatusMessage(statusPayment, (DisplayStatus)status, text);
                }

                break;
            case MessageType.ShowResult:
                if (r.TryStr8(PayloadLimits.PaymentId, out var resultPayment) && r.TryU8(out var resultStatus)
                    && resultStatus is >= (byte)DisplayStatus.Paid and <= (byte)DisplayStatus.Cancelled
                    && r.TryU64(out var resultAmount) && r.TryU16(out var resultCurrency) && r.TryU8(out var resultExponent)
                    && r.TryStr8(PayloadLimits.Text, out var resultMerchant) && r.TryStr8(PayloadLimits.Text, out var resultMessage)
                    && IsValidPayment(resultPayment, resultCurrency, resultExponent))
                {
                    message = new ShowResultMessage(resultPayment, (DisplayStatus)resultStatus, resultAmount, resultCurrency, resultExponent, resultMerchant, resultMessage);
                }

                break;
            case MessageType.SetConfig:
                message = ReadConfig(ref r);
                break;
            case MessageType.Beep:
                if (r.TryU8(out var pattern) && r.TryU8(out var repeat))
                {
                    message = new BeepMessage(pattern, repeat);
                }

                break;
            case MessageType.HelloAck:
                if (r.TryU8(out var ackMajor) && r.TryU8(out var ackMinor) && r.TryU32(out var bootId) && r.TryU16(out var mtu)
                    && r.TryU32(out var capabilities) && r.TryStr8(PayloadLimits.Text, out var fw)
                    && r.TryStr8(PayloadLimits.Text, out var model) && r.TryStr8(PayloadLimits.Text, out var serial))
                {
                    uint? macCounter = r.TryU32(out var counter) ? counter : null;
                    message = new HelloAckMessage(ackMajor, ackMinor, bootId, mtu, capabilities, fw, model, serial, macCounter);
                }

                break;
            case MessageType.Pong:
                if (r.TryU32(out var pongBoot) && r.TryU32(out var uptime) && r.TryU8(out var pongScreen))
                {
                    message = new PongMessage(pongBoot, uptime, (DisplayScreenKind)pongScreen);
                }

                break;
            case MessageType.State:
                if (r.TryU8(out var screen) && r.TryU8(out var stateStatus) && r.TryU16(out var stateSeconds)
                    && r.TryStr8(PayloadLimits.PaymentId, out var statePayment))
                {
                    message = new StateMessage((DisplayScreenKind)screen, (DisplayStatus)stateStatus, stateSeconds, statePayment, ReadCounters(ref r));
                }

                break;
            case MessageType.Ack:
                if (r.TryU8(out var result) && r.TryU8(out var ackedType))
                {
                    message = new AckMessage((AckResult)result, ackedType);
                }

                break;
            case MessageType.Boot:
                if (r.TryU32(out var boot) && r.TryU8(out var reason) && r.TryStr8(PayloadLimits.Text, out var bootFw)
                    && r.TryStr8(PayloadLimits.Text, out var bootModel))
                {
                    message = new BootMessage(boot, reason, bootFw, bootModel);
                }

                break;
            case MessageType.StateChanged:
                if (r.TryU8(out var changedScreen) && r.TryU8(out var changedStatus) && r.TryU16(out var changedSeconds)
                    && r.TryStr8(PayloadLimits.PaymentId, out var changedPayment) && r.TryU8(out var changedReason))
                {
                    message = new StateChangedMessage((DisplayScreenKind)changedScreen, (DisplayStatus)changedStatus, changedSeconds, changedPayment, changedReason);
                }

                break;
            case MessageType.Log:
                if (r.TryU8(out var level) && r.TryStr8(PayloadLimits.Text, out var logText))
                {
                    message = new LogMessage(level, logText);
                }

                break;
            default:
                return AckResult.UnknownType;
        }

        return message is null ? AckResult.BadPayload : AckResult.Ok;
    }

    private static StateCounters? ReadCounters(ref PayloadReader r)
    {
        if (r.Remaining < StateCounters.Length)
        {
            return null; // a v1.0 device: the group is absent (fewer bytes than the group are absent too)
        }

        r.TryU32(out var framesOk);
        r.TryU32(out var cobs);
        r.TryU32(out var tooShort);
        r.TryU32(out var mismatch);
        r.TryU32(out var crc);
        r.TryU32(out var tooLong);
        r.TryU32(out var duplicates);
        return new StateCounters(framesOk, cobs, tooShort, mismatch, crc, tooLong, duplicates);
    }

    private static SetConfigMessage? ReadConfig(ref PayloadReader r)
    {
        byte? brightness = null, beep = null, language = null;
        while (r.Remaining > 0)
        {
            if (!r.TryU8(out var key) || !r.TryU8(out var length) || !r.TryBytes(length, out var value))
            {
                return null;
            }

            if (key is < SetConfigMessage.BrightnessKey or > SetConfigMessage.LanguageKey)
            {
                continue; // an unknown key (a newer host): ignored
            }

            var max = key == SetConfigMessage.BrightnessKey ? 100 : 1;
            if (length != 1 || value[0] > max)
            {
                return null;
            }

            switch (key)
            {
                case SetConfigMessage.BrightnessKey:
                    brightness = value[0];
                    break;
                case SetConfigMessage.BeepOnResultKey:
                    beep = value[0];
                    break;
                default:
                    language = value[0];
                    break;
            }
        }

        return new SetConfigMessage(brightness, beep, language);
    }
}
