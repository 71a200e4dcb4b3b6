namespace Bakong.Khqr.Parsing;

/// <summary>
/// The fast path of verify: one tight pass that recognises a KHQR in the canonical form generators emit (known
/// tags once each in the SDK's order, two-digit lengths that fit exactly, known sub-tags in order) and whose every
/// field passes the SDK's checks. It only ever answers "certainly valid"; anything else — an odd shape or a
/// failing check — goes to the general reader in <see cref="KhqrVerifier"/>, which reproduces the SDK's parse
/// exactly and names the reason.
/// </summary>
internal static class CanonicalKhqr
{
    private const int Required = (1 << 0) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 13);
    private const int AmountBit = 1 << 6;
    private const int TimestampsBit = 1 << 12;

    // Position of each known tag in the SDK's order (29 and 30 share one), or -1.
    private static readonly sbyte[] s_order = BuildOrder();

    /// <summary>True only when the SDK certainly accepts <paramref name="qr"/>, whose CRC was already checked.</summary>
    public static bool IsCertainlyValid(string qr, TimeProvider timeProvider)
    {
        var s = qr.AsSpan();
        var position = 0;
        var previous = -1;
        var seen = 0;
        var dynamic = false;
        var timestamps = default(Range);
        while (position < s.Length)
        {
            if (s.Length - position < 4)
            {
                return false;
            }

            var tag = TwoDigits(s, position);
            var length = TwoDigits(s, position + 2);
            var start = position + 4;
            if (tag < 0 || length < 0 || start + length > s.Length)
            {
                return false;
            }

            var order = s_order[tag];
            if (order <= previous)
            {
                return false;
            }

            previous = order;
            seen |= 1 << order;
            var value = s.Slice(start, length);
            var ok = tag switch
            {
                0 => length is 1 or 2,
                1 => value is "11" or "12",
                15 => true,
                29 or 30 => AccountIsValid(value),
                52 => length is >= 1 and <= 4 && !value.ContainsAnyExceptInRange('0', '9'),
                53 => value is "116" or "840",
                54 => length is >= 1 and <= 13 && !value.Contains('-'),
                58 => length is >= 1 and <= 3,
                59 => length is >= 1 and <= 25,
                60 => length is >= 1 and <= 15,
                62 => AdditionalDataIsValid(value),
                64 => LanguageIsValid(value),
                99 => IsCanonicalTemplate(value, 0b11),
                _ => length is >= 1 and <= 4, // 63
            };
            if (!ok)
            {
                return false;
            }

            dynamic |= tag == 1 && value[1] == '2';
            if (tag == 99)
            {
                timestamps = new Range(start, start + length);
            }

            position = start + length;
        }

        if ((seen & Required) != Required
            || (dynamic && (seen & AmountBit) == 0)
            || ((dynamic || (seen & AmountBit) != 0) && (seen & TimestampsBit) == 0))
        {
            return false;
        }

        return !dynamic || TimestampsAreValid(s[timestamps], timeProvider);
    }

    // 00 account (1–32, with @), 01 account information or merchant ID (0–32), 02 bank (1–32).
    private static bool AccountIsValid(ReadOnlySpan<char> template)
    {
        if (!IsCanonicalTemplate(template, 0b111) || template.Length < 4 || TwoDigits(template, 0) != 0)
        {
            return false;
        }

        for (var p = 0; p < template.Length;)
        {
            var sub = TwoDigits(template, p);
            var length = TwoDigits(template, p + 2);
            var value = template.Slice(p + 4, length);
            var ok = sub switch
            {
                0 => length is >= 1 and <= 32 && value.Contains('@'),
                1 => length <= 32,
                _ => length is >= 1 and <= 32,
            };
            if (!ok)
            {
                return false;
            }

            p += 4 + length;
        }

        return true;
    }

    // 01 bill, 02 mobile, 03 store, 07 terminal, 08 purpose: each 1–25.
    private static bool AdditionalDataIsValid(ReadOnlySpan<char> template)
    {
        if (!IsCanonicalTemplate(template, (1 << 1) | (1 << 2) | (1 << 3) | (1 << 7) | (1 << 8)))
        {
            return false;
        }

        for (var p = 0; p < template.Length;)
        {
            var length = TwoDigits(template, p + 2);
            if (length is < 1 or > 25)
            {
                return false;
            }

            p += 4 + length;
        }

        return true;
    }

    // 00 language (1–2), 01 name (1–25), 02 city (1–15); a language needs a name and a name needs a language.
    private static bool LanguageIsValid(ReadOnlySpan<char> template)
    {
        if (!IsCanonicalTemplate(template, 0b111))
        {
            return false;
        }

        int preference = -1, name = -1, city = -1;
        for (var p = 0; p < template.Length;)
        {
            var length = TwoDigits(template, p + 2);
            switch (TwoDigits(template, p))
            {
                case 0: preference = length; break;
                case 1: name = length; break;
                default: city = length; break;
            }

            p += 4 + length;
        }

        return (preference < 0 || name >= 0)
            && (name < 0 || (preference is 1 or 2 && name is >= 1 and <= 25))
            && (city < 0 || city is >= 1 and <= 15);
    }

    // 00 creation, 01 expiration: both 13 digits (no leading zero in the expiration, so JavaScript prints it back
    // with 13 digits), the expiration neither before the creation nor before now.
    private static bool TimestampsAreValid(ReadOnlySpan<char> template, TimeProvider timeProvider)
    {
        if (template.Length != 34 || !template.StartsWith("0013") || template[17..21] is not "0113" || template[21] == '0')
        {
            return false;
        }

        var created = Digits13(template.Slice(4, 13));
        var expiration = Digits13(template.Slice(21, 13));
        return created >= 0 && expiration >= created && expiration >= timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
    }

    // Thirteen ASCII digits as a number, or -1.
    private static long Digits13(ReadOnlySpan<char> digits)
    {
        long value = 0;
        foreach (var c in digits)
        {
            var d = (uint)(c - '0');
            if (d > 9)
            {
                return -1;
            }

            value = (value * 10) + d;
        }

        return value;
    }

    // Sub-fields with two-digit tags from allowedTags (a bit per tag), in increasing order, lengths fitting exactly.
    private static bool IsCanonicalTemplate(ReadOnlySpan<char> template, int allowedTags)
    {
        var previous = -1;
        var p = 0;
        while (p < template.Length)
        {
            if (template.Length - p < 4)
            {
                return false;
            }

            var sub = TwoDigits(template, p);
            var length = TwoDigits(template, p + 2);
            if (sub < 0 || sub > 30 || (allowedTags & (1 << sub)) == 0 || sub <= previous || length < 0 || p + 4 + length > template.Length)
            {
                return false;
            }

            previous = sub;
            p += 4 + length;
        }

        return true;
    }

    private static int TwoDigits(ReadOnlySpan<char> s, int at)
    {
        var high = (uint)(s[at] - '0');
        var low = (uint)(s[at + 1] - '0');
        return high <= 9 && low <= 9 ? (int)((high * 10) + low) : -1;
    }

    private static sbyte[] BuildOrder()
    {
        var order = new sbyte[100];
        Array.Fill(order, (sbyte)-1);
        ReadOnlySpan<int> tags = [0, 1, 15, 29, 52, 53, 54, 58, 59, 60, 62, 64, 99, 63];
        for (var i = 0; i < tags.Length; i++)
        {
            order[tags[i]] = (sbyte)i;
        }

        order[30] = order[29];
        return order;
    }
}
