using Bakong.Display.Protocol;

namespace Bakong.Display.Link;

/// <summary>What a (emulated) display shows: the idle screen, a QR with its countdown, or a payment's result.</summary>
public sealed record DeviceScreen
{
    public static readonly DeviceScreen Blank = new();

    public DisplayScreenKind Kind { get; init; }

    public string MerchantName { get; init; } = "";

    public string Line2 { get; init; } = "";

    public string PaymentId { get; init; } = "";

    public ulong AmountMinor { get; init; }

    /// <summary>ISO 4217 numeric.</summary>
    public ushort Currency { get; init; }

    public byte Exponent { get; init; }

    /// <summary>The QR text; empty when there is no code to draw (SPEC.md §6.2: an empty qr is never drawn as a code).</summary>
    public string Qr { get; init; } = "";

    /// <summary>Whether a scannable code of <see cref="Qr"/> is on screen (a payment can be paid from it).</summary>
    public bool ShowsQrCode => Kind == DisplayScreenKind.Qr && Qr.Length > 0;

    public DisplayStatus Status { get; init; }

    public string Message { get; init; } = "";

    /// <summary>When the QR's countdown ends, on the device's own clock.</summary>
    public DateTimeOffset? CountdownEnd { get; init; }

    /// <summary>The language of the device's own texts on this screen (its SET_CONFIG language when drawn).</summary>
    public DisplayLanguage Language { get; init; }

    /// <summary>No valid frame from the host for the link timeout: the QR stays, marked offline.</summary>
    public bool Offline { get; init; }

    public ushort SecondsLeft(DateTimeOffset now) =>
        CountdownEnd is { } end && end > now ? (ushort)Math.Min(ushort.MaxValue, Math.Ceiling((end - now).TotalSeconds)) : (ushort)0;

    /// <summary>The amount as text: <c>5000 KHR</c>, <c>12.50 USD</c>.</summary>
    public string AmountText()
    {
        var code = Currency switch { 116 => "KHR", 840 => "USD", _ => Currency.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (Exponent == 0)
        {
            return AmountMinor.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + code;
        }

        var scale = (decimal)Math.Pow(10, Exponent);
        return (AmountMinor / scale).ToString("F" + Exponent.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture) + " " + code;
    }
}

/// <summary>Who a device says it is (BOOT, HELLO_ACK).</summary>
public sealed record DeviceIdentity(string FirmwareVersion = "emu-1.0.0", string Model = "bakong-emulator", string Serial = "EMU0001");

/// <summary>The device's timing, what it is (its minor version, capabilities, QR MAC key) and its deliberate misbehaviour for tests.</summary>
public sealed record DeviceLinkOptions
{
    /// <summary>1 (default) for a v1.1 device; 0 plays a v1.0 device (no SHOW_RESULT, no result latch, no v1.1 fields).</summary>
    public byte ProtocolMinor { get; init; } = Protocol.FrameCodec.ProtocolMinor;

    /// <summary>HELLO_ACK's capabilities (QR_MAC is added when <see cref="MacKey"/> is set).</summary>
    public DeviceCapabilities Capabilities { get; init; } = DeviceCapabilities.Qr | DeviceCapabilities.Beep | DeviceCapabilities.KhmerText;

    /// <summary>The MTU the device reports in HELLO_ACK (640 in v1; a smaller one plays a device that breaks "MUST accept 640").</summary>
    public ushort Mtu { get; init; } = Protocol.FrameCodec.MaxHeaderAndPayload;

    /// <summary>A QR MAC key (1–64 bytes, SPEC.md §6.5): the device then requires the trailer on SHOW_QR and SHOW_RESULT. Empty: none.</summary>
    public ReadOnlyMemory<byte> MacKey { get; init; }

    public TimeSpan Rto { get; init; } = TimeSpan.FromMilliseconds(250);

    public int MaxRetransmits { get; init; } = 3;

    /// <summary>BOOT is repeated this often until a HELLO arrives.</summary>
    public TimeSpan BootRepeat { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>No valid frame from the host for this long: the link is lost (the QR is marked offline).</summary>
    public TimeSpan LinkTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Delay every response by this much (a slow device); zero answers at once as the protocol requires.</summary>
    public TimeSpan AckDelay { get; init; }

    /// <summary>0 for a random non-zero boot id.</summary>
    public uint BootId { get; init; }

    /// <summary>BOOT's reset_reason: 1 power-on, 3 software (an emulated reboot).</summary>
    public byte ResetReason { get; init; } = 1;
}
