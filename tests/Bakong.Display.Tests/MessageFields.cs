using System.Globalization;
using System.Text;
using Bakong.Display.Protocol;

namespace Bakong.Display.Tests;

/// <summary>A message as the vector files write it: <c>snake_case=value</c> in payload order, strings as <c>hex:</c>.</summary>
internal static class MessageFields
{
    public static string[] Of(DisplayMessage message) => message switch
    {
        HelloMessage m => [F("proto_major", m.ProtoMajor), F("proto_minor", m.ProtoMinor), F("host_time_unix_ms", m.HostTimeUnixMs), F("heartbeat_ms", m.HeartbeatMs), F("link_timeout_ms", m.LinkTimeoutMs), S("host_name", m.HostName)],
        EmptyMessage => [],
        ShowIdleMessage m => [S("merchant_name", m.MerchantName), S("line2", m.Line2)],
        ShowQrMessage m => [S("payment_id", m.PaymentId), F("amount_minor", m.AmountMinor), F("currency", m.Currency), F("exponent", m.Exponent), F("expire_unix_ms", m.ExpireUnixMs), F("seconds_left", m.SecondsLeft), S("merchant_name", m.MerchantName), S("qr", m.Qr)],
        SetStatusMessage m => [S("payment_id", m.PaymentId), F("status", (byte)m.Status), S("message", m.Message)],
        ShowResultMessage m => [S("payment_id", m.PaymentId), F("status", (byte)m.Status), F("amount_minor", m.AmountMinor), F("currency", m.Currency), F("exponent", m.Exponent), S("merchant_name", m.MerchantName), S("message", m.Message)],
        SetConfigMessage m => [.. Optional("brightness", m.Brightness), .. Optional("beep_on_result", m.BeepOnResult), .. Optional("language", m.Language)],
        BeepMessage m => [F("pattern", m.Pattern), F("repeat", m.Repeat)],
        HelloAckMessage m => [F("proto_major", m.ProtoMajor), F("proto_minor", m.ProtoMinor), F("boot_id", m.BootId), F("mtu", m.Mtu), F("capabilities", m.Capabilities), S("fw_version", m.FwVersion), S("model", m.Model), S("serial", m.Serial), .. Optional("mac_counter", m.MacCounter)],
        PongMessage m => [F("boot_id", m.BootId), F("uptime_ms", m.UptimeMs), F("screen", (byte)m.Screen)],
        StateMessage m => [F("screen", (byte)m.Screen), F("status", (byte)m.Status), F("seconds_left", m.SecondsLeft), S("payment_id", m.PaymentId), .. Counters(m.Counters)],
        AckMessage m => [F("result", (byte)m.Result), F("acked_type", m.AckedType)],
        BootMessage m => [F("boot_id", m.BootId), F("reset_reason", m.ResetReason), S("fw_version", m.FwVersion), S("model", m.Model)],
        StateChangedMessage m => [F("screen", (byte)m.Screen), F("status", (byte)m.Status), F("seconds_left", m.SecondsLeft), S("payment_id", m.PaymentId), F("reason", m.Reason)],
        LogMessage m => [F("level", m.Level), S("text", m.Text)],
        _ => throw new ArgumentOutOfRangeException(nameof(message)),
    };

    public static DisplayMessage Build(byte type, string[] fields)
    {
        var f = fields.Select(t => t.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        ulong U(string name) => ulong.Parse(f[name], CultureInfo.InvariantCulture);
        byte B(string name) => (byte)U(name);
        ushort W(string name) => (ushort)U(name);
        uint D(string name) => (uint)U(name);
        string T(string name) => Encoding.UTF8.GetString(Convert.FromHexString(f[name]["hex:".Length..]));
        byte? O(string name) => f.ContainsKey(name) ? B(name) : null;
        uint? OD(string name) => f.ContainsKey(name) ? D(name) : null;
        StateCounters? C() => f.ContainsKey("frames_ok")
            ? new StateCounters(D("frames_ok"), D("drop_cobs_invalid"), D("drop_too_short"), D("drop_length_mismatch"), D("drop_bad_crc"), D("drop_too_long"), D("duplicates"))
            : null;
        return (MessageType)type switch
        {
            MessageType.Hello => new HelloMessage(B("proto_major"), B("proto_minor"), U("host_time_unix_ms"), W("heartbeat_ms"), W("link_timeout_ms"), T("host_name")),
            MessageType.Ping or MessageType.Clear or MessageType.GetState => new EmptyMessage((MessageType)type),
            MessageType.ShowIdle => new ShowIdleMessage(T("merchant_name"), T("line2")),
            MessageType.ShowQr => new ShowQrMessage(T("payment_id"), U("amount_minor"), W("currency"), B("exponent"), U("expire_unix_ms"), W("seconds_left"), T("merchant_name"), T("qr")),
            MessageType.SetStatus => new SetStatusMessage(T("payment_id"), (DisplayStatus)B("status"), T("message")),
            MessageType.ShowResult => new ShowResultMessage(T("payment_id"), (DisplayStatus)B("status"), U("amount_minor"), W("currency"), B("exponent"), T("merchant_name"), T("message")),
            MessageType.SetConfig => new SetConfigMessage(O("brightness"), O("beep_on_result"), O("language")),
            MessageType.Beep => new BeepMessage(B("pattern"), B("repeat")),
            MessageType.HelloAck => new HelloAckMessage(B("proto_major"), B("proto_minor"), D("boot_id"), W("mtu"), D("capabilities"), T("fw_version"), T("model"), T("serial"), OD("mac_counter")),
            MessageType.Pong => new PongMessage(D("boot_id"), D("uptime_ms"), (DisplayScreenKind)B("screen")),
            MessageType.State => new StateMessage((DisplayScreenKind)B("screen"), (DisplayStatus)B("status"), W("seconds_left"), T("payment_id"), C()),
            MessageType.Ack => new AckMessage((AckResult)B("result"), B("acked_type")),
            MessageType.Boot => new BootMessage(D("boot_id"), B("reset_reason"), T("fw_version"), T("model")),
            MessageType.StateChanged => new StateChangedMessage((DisplayScreenKind)B("screen"), (DisplayStatus)B("status"), W("seconds_left"), T("payment_id"), B("reason")),
            MessageType.Log => new LogMessage(B("level"), T("text")),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
    }

    private static string F(string name, ulong value) => name + "=" + value.ToString(CultureInfo.InvariantCulture);

    private static string S(string name, string value) => name + "=hex:" + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(value));

    private static string[] Optional(string name, ulong? value) => value is { } v ? [F(name, v)] : [];

    private static string[] Counters(StateCounters? c) => c is null
        ? []
        : [F("frames_ok", c.FramesOk), F("drop_cobs_invalid", c.CobsInvalid), F("drop_too_short", c.TooShort), F("drop_length_mismatch", c.LengthMismatch),
            F("drop_bad_crc", c.BadCrc), F("drop_too_long", c.TooLong), F("duplicates", c.Duplicates)];
}
