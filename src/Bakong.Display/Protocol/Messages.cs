namespace Bakong.Display.Protocol;

/// <summary>
/// One message of protocol v1, as a frame payload. <see cref="Write"/> packs it; <see cref="DisplayMessages.TryRead"/>
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

    /// <summary>The packed size: it must fit <see cref="FrameCodec.MaxPayload"/> (a 512-byte QR leaves 89 bytes for the two names).</summary>
    public int PayloadLength =>
        1 + System.Text.Encoding.UTF8.GetByteCount(PaymentId) + 8 + 2 + 1 + 8 + 2
        + 1 + System.Text.Encoding.UTF8.GetByteCount(MerchantName) + 2 + System.Text.Encoding.UTF8.GetByteCount(Qr);

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

public sealed record HelloAckMessage(
    byte ProtoMajor, byte ProtoMinor, uint BootId, ushort Mtu, uint Capabilities, string FwVersion, string Model, string Serial) : DisplayMessage
{
    public override MessageType Type => MessageType.HelloAck;

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

public sealed record StateMessage(DisplayScreenKind Screen, DisplayStatus Status, ushort SecondsLeft, string PaymentId) : DisplayMessage
{
    public override MessageType Type => MessageType.State;

    public override void Write(ref PayloadWriter writer)
    {
        writer.U8((byte)Screen);
        writer.U8((byte)Status);
        writer.U16(SecondsLeft);
        writer.Str8(PaymentId, PayloadLimits.PaymentId);
    }
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
    /// <summary>
    /// Unpacks <paramref name="payload"/> as <paramref name="type"/>: <see cref="AckResult.Ok"/> and the message,
    /// <see cref="AckResult.UnknownType"/>, or <see cref="AckResult.BadPayload"/> (a length past the end, a string over
    /// its limit, a field out of range). Bytes after the known fields are ignored.
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
                    && r.TryStr8(PayloadLimits.Text, out var qrMerchant) && r.TryStr16(PayloadLimits.Qr, out var qr))
                {
                    message = new ShowQrMessage(paymentId, amount, currency, exponent, expire, secondsLeft, qrMerchant, qr);
                }

                break;
            case MessageType.SetStatus:
                if (r.TryStr8(PayloadLimits.PaymentId, out var statusPayment) && r.TryU8(out var status)
                    && status is >= (byte)DisplayStatus.Waiting and <= (byte)DisplayStatus.Cancelled
                    && r.TryStr8(PayloadLimits.Text, out var text))
                {
                    message = new SetStatusMessage(statusPayment, (DisplayStatus)status, text);
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
                    message = new HelloAckMessage(ackMajor, ackMinor, bootId, mtu, capabilities, fw, model, serial);
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
                    message = new StateMessage((DisplayScreenKind)screen, (DisplayStatus)stateStatus, stateSeconds, statePayment);
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
