using Microsoft.Extensions.Options;

namespace Bakong.Display;

/// <summary>One configured display (<c>Displays:N:*</c>): the POS terminal it belongs to and its serial port.</summary>
public sealed class DisplayPortOptions
{
    /// <summary>The POS terminal whose payments it shows (<c>CreatePaymentRequest.terminal_id</c>).</summary>
    public string TerminalId { get; set; } = "";

    /// <summary>The serial device, e.g. <c>/dev/serial/by-id/usb-...-if00</c>, <c>/dev/ttyACM0</c>, or a pty the emulator printed.</summary>
    public string PortName { get; set; } = "";

    /// <summary>115200 by default; ignored by USB-CDC and pseudo-terminals.</summary>
    public int BaudRate { get; set; } = 115200;

    /// <summary>Raise DTR on open: true for USB-CDC devices that wait for it; false (default) for pseudo-terminals, where it fails.</summary>
    public bool Dtr { get; set; }

    /// <summary>How long a result (PAID, FAILED, EXPIRED, CANCELLED) stays before the idle screen returns.</summary>
    public TimeSpan ResultHold { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The idle screen's second line (empty by default).</summary>
    public string IdleText { get; set; } = "";

    /// <summary>
    /// The display's QR MAC key in hex (SPEC.md §6.5; 32 random bytes = 64 hex digits, 1–64 bytes accepted), or empty.
    /// Off by default. Secret: never logged, never in an error message.
    /// </summary>
    public string QrMacKey { get; set; } = "";

    /// <summary>A file holding the QR MAC key in hex (instead of <see cref="QrMacKey"/>, so the key stays out of the configuration).</summary>
    public string QrMacKeyFile { get; set; } = "";

    /// <summary>The QR MAC key's bytes (empty: none), from <see cref="QrMacKey"/> or <see cref="QrMacKeyFile"/> as validated at start.</summary>
    public ReadOnlyMemory<byte> ReadQrMacKey() => TryReadQrMacKey(out var key, out _) ? key : ReadOnlyMemory<byte>.Empty;

    /// <summary>Reads and checks the key; false with a reason that never contains the key.</summary>
    internal bool TryReadQrMacKey(out byte[] key, out string? problem)
    {
        key = [];
        problem = null;
        string hex;
        if (QrMacKeyFile.Length > 0)
        {
            if (QrMacKey.Length > 0)
            {
                problem = "set QrMacKey or QrMacKeyFile, not both";
                return false;
            }

            try
            {
                hex = File.ReadAllText(QrMacKeyFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                problem = "QrMacKeyFile cannot be read (" + e.GetType().Name + ")";
                return false;
            }
        }
        else
        {
            hex = QrMacKey;
        }

        if (hex.Trim().Length == 0 && QrMacKeyFile.Length > 0)
        {
            problem = "QrMacKeyFile is empty";
            return false;
        }

        return Protocol.QrMac.TryParseKey(hex, out key, out problem);
    }
}

/// <summary>
/// The first line of a display's idle screen (and the name on its QR and result screens): the shop's name, and the
/// language the display draws its own texts in. Not settings of their own: the host fills them from its merchant
/// profiles (the gateway from the profile that serves the display's terminal, through Bakong.Display.Payments).
/// </summary>
public sealed class DisplayIdleOptions
{
    /// <summary>The name of a display whose terminal <see cref="MerchantNameOf"/> does not answer for.</summary>
    public string MerchantName { get; set; } = "";

    /// <summary>The shop's name for a terminal id, or null for <see cref="MerchantName"/>.</summary>
    public Func<string, string?>? MerchantNameOf { get; set; }

    /// <summary>The name a display of <paramref name="terminalId"/> shows.</summary>
    public string NameFor(string terminalId) => MerchantNameOf?.Invoke(terminalId) ?? MerchantName;

    /// <summary>The language of a display whose terminal <see cref="LanguageOf"/> does not answer for; null: the host sends none (the device keeps its own).</summary>
    public Protocol.DisplayLanguage? Language { get; set; }

    /// <summary>The language for a terminal id, or null for <see cref="Language"/>.</summary>
    public Func<string, Protocol.DisplayLanguage?>? LanguageOf { get; set; }

    /// <summary>The language a display of <paramref name="terminalId"/> is told after every handshake (null: none).</summary>
    public Protocol.DisplayLanguage? LanguageFor(string terminalId) => LanguageOf?.Invoke(terminalId) ?? Language;
}

/// <summary>The <c>Displays</c> array, validated at start.</summary>
public sealed class DisplaysOptions
{
    public const string Section = "Displays";

    public List<DisplayPortOptions> Displays { get; } = [];
}

internal sealed class DisplaysOptionsValidator : IValidateOptions<DisplaysOptions>
{
    private static readonly int[] s_standardRates = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

    public ValidateOptionsResult Validate(string? name, DisplaysOptions options)
    {
        var errors = new List<string>();
        var terminals = new HashSet<string>(StringComparer.Ordinal);
        var ports = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Displays.Count; i++)
        {
            var d = options.Displays[i];
            var at = $"Displays:{i}:";
            // How long a terminal id may be is the payments' rule (Bakong.Display.Payments adds it); a display has none.
            if (string.IsNullOrWhiteSpace(d.TerminalId))
            {
                errors.Add(at + "TerminalId is required");
            }
            else if (!terminals.Add(d.TerminalId))
            {
                errors.Add(at + "TerminalId " + d.TerminalId + " is configured twice");
            }

            if (string.IsNullOrWhiteSpace(d.PortName))
            {
                errors.Add(at + "PortName is required (e.g. /dev/ttyACM0)");
            }
            else if (!ports.Add(d.PortName))
            {
                errors.Add(at + "PortName " + d.PortName + " is used by two displays (one owner per port)");
            }

            if (Array.IndexOf(s_standardRates, d.BaudRate) < 0)
            {
                errors.Add(at + "BaudRate must be a standard rate (" + string.Join(", ", s_standardRates) + ")");
            }

            if (d.ResultHold < TimeSpan.Zero || d.ResultHold > TimeSpan.FromMinutes(10))
            {
                errors.Add(at + "ResultHold must be between 00:00:00 and 00:10:00");
            }

            if (System.Text.Encoding.UTF8.GetByteCount(d.IdleText) > Protocol.PayloadLimits.Text)
            {
                errors.Add(at + "IdleText must be at most 96 UTF-8 bytes");
            }

            if (!d.TryReadQrMacKey(out _, out var keyProblem))
            {
                errors.Add(at + "QrMacKey: " + keyProblem); // the reason only, never the key
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
