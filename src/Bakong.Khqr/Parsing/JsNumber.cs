using System.Globalization;

namespace Bakong.Khqr.Parsing;

/// <summary>
/// The few JavaScript number conversions the official SDK's verdicts depend on
/// (<c>parseInt</c> on a two-character length, <c>Number(string)</c> and <c>String(number)</c> on timestamps).
/// Reproducing them exactly is what keeps our verify/decode verdicts equal to the SDK's.
/// </summary>
internal static class JsNumber
{
    /// <summary>Dates outside ±8.64e15 ms are invalid in JavaScript (<c>new Date(x).getTime()</c> is NaN).</summary>
    public const double MaxDateMilliseconds = 8.64e15;

    /// <summary>
    /// <c>parseInt(s)</c> for the SDK's two-character length field: leading white space, an optional sign,
    /// then decimal digits. Returns <see langword="null"/> for NaN.
    /// </summary>
    public static int? ParseInt(ReadOnlySpan<char> s)
    {
        // The usual case: two decimal digits.
        if (s.Length == 2 && char.IsAsciiDigit(s[0]) && char.IsAsciiDigit(s[1]))
        {
            return ((s[0] - '0') * 10) + (s[1] - '0');
        }

        var i = 0;
        while (i < s.Length && IsJsWhiteSpace(s[i]))
        {
            i++;
        }

        var negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            negative = s[i] == '-';
            i++;
        }

        // "0x" switches parseInt to hexadecimal; a length field has two characters, so no hex digit can follow: NaN.
        if (i + 1 < s.Length && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
        {
            return null;
        }

        var value = 0;
        var digits = 0;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++, digits++)
        {
            value = (value * 10) + (s[i] - '0');
        }

        return digits == 0 ? null : negative ? -value : value;
    }

    /// <summary><c>Number(s)</c>: the StringToNumber grammar (trimmed; empty is 0; hex/octal/binary prefixes; Infinity).</summary>
    public static double ToNumber(ReadOnlySpan<char> s)
    {
        // The usual case, a timestamp: up to 15 ASCII digits are exact in a double.
        if (s.Length is > 0 and <= 15)
        {
            long digits = 0;
            var i = 0;
            for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
            {
                digits = (digits * 10) + (s[i] - '0');
            }

            if (i == s.Length)
            {
                return digits;
            }
        }

        var start = 0;
        var end = s.Length;
        while (start < end && IsJsWhiteSpace(s[start]))
        {
            start++;
        }

        while (end > start && IsJsWhiteSpace(s[end - 1]))
        {
            end--;
        }

        var t = s[start..end];
        if (t.IsEmpty)
        {
            return 0;
        }

        if (t.Length > 2 && t[0] == '0')
        {
            var radix = t[1] switch { 'x' or 'X' => 16, 'o' or 'O' => 8, 'b' or 'B' => 2, _ => 0 };
            if (radix != 0)
            {
                return ParseRadix(t[2..], radix);
            }
        }

        var body = t;
        var sign = 1.0;
        if (body[0] == '+' || body[0] == '-')
        {
            sign = body[0] == '-' ? -1 : 1;
            body = body[1..];
        }

        if (body.SequenceEqual("Infinity"))
        {
            return sign * double.PositiveInfinity;
        }

        return IsStrDecimalLiteral(body)
            ? sign * double.Parse(body, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture)
            : double.NaN;
    }

    /// <summary><c>String(x)</c> for a number (ECMAScript Number::toString with radix 10).</summary>
    public static string ToString(double x)
    {
        if (double.IsNaN(x))
        {
            return "NaN";
        }

        if (x == 0)
        {
            return "0";
        }

        if (double.IsInfinity(x))
        {
            return x > 0 ? "Infinity" : "-Infinity";
        }

        if (x < 0)
        {
            return "-" + ToString(-x);
        }

        // "R" is the shortest round-trip form, as JavaScript uses: split it into significant digits and exponent.
        var shortest = x.ToString("R", CultureInfo.InvariantCulture);
        var (digits, pointExponent) = SplitShortest(shortest);
        var k = digits.Length;
        var n = pointExponent;
        if (k <= n && n <= 21)
        {
            return digits + new string('0', n - k);
        }

        if (0 < n && n <= 21)
        {
            return string.Concat(digits.AsSpan(0, n), ".", digits.AsSpan(n));
        }

        if (-6 < n && n <= 0)
        {
            return "0." + new string('0', -n) + digits;
        }

        var exponent = n - 1;
        var mantissa = k == 1 ? digits : string.Concat(digits.AsSpan(0, 1), ".", digits.AsSpan(1));
        return mantissa + "e" + (exponent >= 0 ? "+" : "-") + Math.Abs(exponent).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary><c>String(x).length</c>, without building the string for the usual case of a whole number.</summary>
    public static int StringLength(double x)
    {
        if (x == Math.Floor(x) && Math.Abs(x) < 1e15)
        {
            var magnitude = (long)Math.Abs(x);
            var digits = 1;
            for (var power = 10L; power <= magnitude; power *= 10)
            {
                digits++;
            }

            return x < 0 ? digits + 1 : digits;
        }

        return ToString(x).Length;
    }

    /// <summary>Is <paramref name="x"/> a valid JavaScript Date time value?</summary>
    public static bool IsValidDate(double x) => !double.IsNaN(x) && Math.Abs(x) <= MaxDateMilliseconds;

    // JS WhiteSpace and LineTerminator code points, which parseInt and Number() trim.
    private static bool IsJsWhiteSpace(char c) => c switch
    {
        '\t' or '\n' or '\v' or '\f' or '\r' or ' ' or '\u00A0' or '\u1680' or '\u2028' or '\u2029' or '\u202F'
            or '\u205F' or '\u3000' or '\uFEFF' => true,
        >= '\u2000' and <= '\u200A' => true,
        _ => false,
    };

    private static double ParseRadix(ReadOnlySpan<char> digits, int radix)
    {
        double value = 0;
        foreach (var c in digits)
        {
            var d = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
            if (d >= radix)
            {
                return double.NaN;
            }

            value = (value * radix) + d;
        }

        return value;
    }

    // StrUnsignedDecimalLiteral: digits [. digits] [e|E [+-] digits], or . digits [exponent].
    private static bool IsStrDecimalLiteral(ReadOnlySpan<char> s)
    {
        var i = 0;
        var intDigits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
            intDigits++;
        }

        var fracDigits = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                fracDigits++;
            }
        }

        if (intDigits + fracDigits == 0)
        {
            return false;
        }

        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            if (i < s.Length && (s[i] == '+' || s[i] == '-'))
            {
                i++;
            }

            var expDigits = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                expDigits++;
            }

            if (expDigits == 0)
            {
                return false;
            }
        }

        return i == s.Length;
    }

    // "R" gives e.g. "1.5", "1E+21", "1.2345E-07", "123456789": return the digits without leading/trailing
    // zeros and n such that value = 0.d1d2..dk × 10^n (ECMAScript's notation).
    private static (string Digits, int PointExponent) SplitShortest(string r)
    {
        var e = r.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? r : r[..e];
        var exponent = e < 0 ? 0 : int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot < 0 ? mantissa : mantissa[..dot];
        var fracPart = dot < 0 ? string.Empty : mantissa[(dot + 1)..];
        var all = intPart + fracPart;
        var leading = 0;
        while (leading < all.Length - 1 && all[leading] == '0')
        {
            leading++;
        }

        var digits = all[leading..].TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        return (digits, intPart.Length - leading + exponent);
    }
}
