using System.Globalization;
using System.Text;
using Bakong.Display.Protocol;

namespace Bakong.Display.Link;

/// <summary>
/// The one gate for text a display sends (firmware version, model, serial number, payment ids, LOG lines): the host
/// link passes every message from the device through <see cref="Clean"/> before it logs it, stores it in the link
/// status (health, <c>bakong display status</c>) or acts on it. A device is untrusted input: raw, its escape sequences
/// would reach the operator's terminal and a line break could forge a log line.
/// </summary>
internal static class DeviceText
{
    /// <summary>
    /// The longest text kept from one field, in characters after escaping. A protocol string is at most 96 UTF-8 bytes,
    /// but escaping can make it four times longer; past this the text is cut and ends in <c>…</c>.
    /// </summary>
    public const int MaxLength = 128;

    /// <summary>
    /// <paramref name="message"/> with each of its device-written strings escaped (<see cref="Escape"/>). Every message
    /// type a device sends that carries text is listed here; a new one must be too.
    /// </summary>
    public static DisplayMessage Clean(DisplayMessage message) => message switch
    {
        HelloAckMessage m => m with { FwVersion = Escape(m.FwVersion), Model = Escape(m.Model), Serial = Escape(m.Serial) },
        BootMessage m => m with { FwVersion = Escape(m.FwVersion), Model = Escape(m.Model) },
        StateChangedMessage m => m with { PaymentId = Escape(m.PaymentId) },
        StateMessage m => m with { PaymentId = Escape(m.PaymentId) },
        LogMessage m => m with { Text = Escape(m.Text) },
        _ => message, // no text, or a host→device type the host ignores when a device sends it
    };

    /// <summary>
    /// <paramref name="text"/> safe to log and print: control characters (C0, DEL, C1), the Unicode line and paragraph
    /// separators, the bidi controls, unpaired surrogates and the backslash itself become <c>\x1B</c>, <c>\u2028</c>,
    /// <c>\\</c> (escaped rather than dropped, so nothing is lost for diagnosis and the escaping is unambiguous), and the
    /// result is at most <see cref="MaxLength"/> characters. Text without any of them and short enough is returned as is.
    /// </summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= MaxLength && !NeedsEscape(text))
        {
            return text;
        }

        var builder = new StringBuilder(MaxLength + 8);
        var cut = -1; // where the text is cut if it turns out too long: the last whole piece that leaves room for '…'
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            var piece = pair ? text.AsSpan(i, 2) : IsUnsafe(c) ? EscapeOf(c).AsSpan() : text.AsSpan(i, 1);
            if (cut < 0 && builder.Length + piece.Length > MaxLength - 1)
            {
                cut = builder.Length;
            }

            builder.Append(piece);
            if (builder.Length > MaxLength)
            {
                builder.Length = cut;
                builder.Append('…');
                break;
            }

            i += pair ? 1 : 0;
        }

        return builder.ToString();
    }

    private static bool NeedsEscape(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (IsUnsafe(c))
            {
                return true;
            }
        }

        return false;
    }

    // Called for characters not part of a valid surrogate pair, so a surrogate here is unpaired.
    private static bool IsUnsafe(char c) =>
        char.IsControl(c) // C0, DEL, C1 (U+0085 NEL and U+009B CSI among them)
        || char.IsSurrogate(c)
        || c is '\\'
            or '\u2028' or '\u2029' // line and paragraph separators
            or '\u061C' or '\u200E' or '\u200F' // bidi marks
            or (>= '\u202A' and <= '\u202E') // bidi embeddings and overrides
            or (>= '\u2066' and <= '\u2069'); // bidi isolates

    private static string EscapeOf(char c) => c switch
    {
        '\\' => @"\\",
        <= '\u00FF' => @"\x" + ((int)c).ToString("X2", CultureInfo.InvariantCulture),
        _ => @"\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
    };
}
