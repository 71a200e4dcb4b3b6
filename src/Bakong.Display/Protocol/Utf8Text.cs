using System.Globalization;
using System.Text;

namespace Bakong.Display.Protocol;

/// <summary>
/// The one rule for cutting text that a display draws (merchant name, idle line, result message) to a protocol field's
/// UTF-8 byte limit (SPEC.md §6.1): the longest prefix that fits and ends between two user-perceived characters, so a
/// display never draws half a letter, a lone combining mark or half a Khmer consonant cluster.
/// </summary>
/// <remarks>
/// The cut points are .NET's extended grapheme cluster boundaries (<see cref="StringInfo"/>, UAX #29), narrowed by the
/// Khmer rule UAX #29 lacks: a Khmer subscript consonant is written COENG (U+17D2) + consonant, and UAX #29 ends a
/// cluster right after the COENG (.NET splits "ស្ត្រី" into ស្ | ត្ | រី, one visual cluster drawn as three), so no cut
/// is made right after a COENG, nor before a Khmer dependent vowel or sign (U+17B6–U+17D3, U+17DD).
/// </remarks>
public static class Utf8Text
{
    /// <summary>
    /// <paramref name="text"/> whole if it takes at most <paramref name="limit"/> UTF-8 bytes; otherwise its longest
    /// prefix that does and ends at a cut point (<see cref="IsCutPoint"/>), which may be empty.
    /// </summary>
    public static string Truncate(string text, int limit)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Encoding.UTF8.GetByteCount(text) <= limit)
        {
            return text;
        }

        var best = 0;
        var bytes = 0;
        var start = 0;
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            var end = start + elements.GetTextElement().Length;
            bytes += Encoding.UTF8.GetByteCount(text.AsSpan(start, end - start));
            if (bytes > limit)
            {
                break;
            }

            if (IsCutPoint(text, end))
            {
                best = end;
            }

            start = end;
        }

        return text[..best];
    }

    /// <summary>
    /// Whether <paramref name="text"/> may be cut before index <paramref name="at"/>, which is a text element boundary:
    /// not right after a COENG and not before a Khmer dependent vowel or sign. The ends of the text always are.
    /// </summary>
    internal static bool IsCutPoint(string text, int at) =>
        at <= 0 || at >= text.Length || (text[at - 1] != Coeng && !IsKhmerSign(text[at]));

    /// <summary>KHMER SIGN COENG: joins the next consonant below the previous one (a subscript).</summary>
    internal const char Coeng = '\u17D2';

    /// <summary>Khmer dependent vowels and signs, which belong to the consonant (cluster) before them.</summary>
    internal static bool IsKhmerSign(char c) => c is (>= '\u17B6' and <= '\u17D3') or '\u17DD';
}
