namespace Bakong.Khqr.Parsing;

/// <summary>The tags the SDK knows, in its order (<c>constant/KHQRTag.js</c>); tag 30 reads as 29.</summary>
internal enum KhqrTag : byte
{
    Unknown = 0,
    PayloadFormatIndicator,
    PointOfInitiationMethod,
    UnionPay,
    MerchantAccount,
    MerchantCategoryCode,
    TransactionCurrency,
    TransactionAmount,
    CountryCode,
    MerchantName,
    MerchantCity,
    AdditionalData,
    LanguageTemplate,
    Timestamps,
    Crc,
}

internal static class KhqrTags
{
    // Indexed by the tag's two digits: a table lookup instead of fourteen string comparisons per field.
    private static readonly KhqrTag[] s_byNumber = BuildLookup();

    public static KhqrTag Parse(ReadOnlySpan<char> tag) =>
        TwoDigits(tag) is var n and >= 0 ? s_byNumber[n] : KhqrTag.Unknown;

    /// <summary>The value of a two-ASCII-digit tag, or -1.</summary>
    public static int TwoDigits(ReadOnlySpan<char> tag) =>
        tag.Length == 2 && char.IsAsciiDigit(tag[0]) && char.IsAsciiDigit(tag[1]) ? ((tag[0] - '0') * 10) + (tag[1] - '0') : -1;

    private static KhqrTag[] BuildLookup()
    {
        var table = new KhqrTag[100];
        for (var tag = KhqrTag.PayloadFormatIndicator; tag <= KhqrTag.Crc; tag++)
        {
            table[int.Parse(Code(tag), System.Globalization.CultureInfo.InvariantCulture)] = tag;
        }

        table[30] = KhqrTag.MerchantAccount;
        return table;
    }

    public static string Code(KhqrTag tag, bool isMerchantTag = false) => tag switch
    {
        KhqrTag.PayloadFormatIndicator => "00",
        KhqrTag.PointOfInitiationMethod => "01",
        KhqrTag.UnionPay => "15",
        KhqrTag.MerchantAccount => isMerchantTag ? "30" : "29",
        KhqrTag.MerchantCategoryCode => "52",
        KhqrTag.TransactionCurrency => "53",
        KhqrTag.TransactionAmount => "54",
        KhqrTag.CountryCode => "58",
        KhqrTag.MerchantName => "59",
        KhqrTag.MerchantCity => "60",
        KhqrTag.AdditionalData => "62",
        KhqrTag.LanguageTemplate => "64",
        KhqrTag.Timestamps => "99",
        KhqrTag.Crc => "63",
        _ => "??",
    };
}

/// <summary>A top-level field the SDK keeps: which tag, whether it was written as 30, and where its value is.</summary>
internal readonly record struct KhqrField(KhqrTag Tag, bool IsMerchantTag, int ValueStart, int ValueLength)
{
    public ReadOnlySpan<char> Value(string s) => s.AsSpan(ValueStart, ValueLength);
}

/// <summary>
/// The SDK's top-level read loop (<c>decodeKHQR.js</c>, <c>decodeValidation.js</c>): cut fields until the string is
/// used up or a tag repeats the one just read, keeping only the tags it knows.
/// A cut that does not shorten the string repeats its tag and so ends the SDK's loop, except for tag 30, which is
/// compared as 29 and spins the SDK forever; here that ends the reading and sets <see cref="Stuck"/>.
/// </summary>
internal ref struct KhqrFieldReader(string s)
{
    // A tag (the next one or two characters) packed as its length and characters, so comparing is one compare.
    private const long Tag29 = (2L << 32) | ('2' << 16) | '9';
    private const long Tag30 = (2L << 32) | ('3' << 16) | '0';

    private readonly string _s = s;
    private int _position;
    private long _lastTag = -1;

    public KhqrField Current { get; private set; }

    /// <summary>Read with <c>while (reader.MoveNext())</c>, not foreach, so this stays visible afterwards.</summary>
    public bool Stuck { get; private set; }

    public bool MoveNext()
    {
        var s = _s;
        while (_position < s.Length)
        {
            var field = JsTlvCursor.Cut(s, _position, s.Length);
            var rawTag = field.TagLength == 2 ? (2L << 32) | ((long)s[_position] << 16) | s[_position + 1]
                : (1L << 32) | ((long)s[_position] << 16);

            // As in the SDK: the raw tag is compared with the previous tag as renamed (30 → 29),
            // so "29…30…" and "30…30…" read on while "30…29…" stops.
            if (rawTag == _lastTag)
            {
                _position = s.Length;
                return false;
            }

            var isMerchantTag = rawTag == Tag30;
            _lastTag = isMerchantTag ? Tag29 : rawTag;

            // A cut that does not move on is read again next time and stops there as a repeat, except a 30,
            // which is compared as 29: on that the SDK never ends.
            if (field.Next == _position && isMerchantTag)
            {
                Stuck = true;
                _position = s.Length;
            }
            else
            {
                _position = field.Next;
            }

            var known = KhqrTags.Parse(field.Tag(s));
            if (known != KhqrTag.Unknown)
            {
                Current = new KhqrField(known, isMerchantTag, field.ValueStart, field.ValueLength);
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The SDK's sub-field loop for templates 29/30, 62, 64 and 99. Unlike the top level it has no repeat check, so a
/// length that does not move the reader forward (NaN, or a negative one) spins the SDK forever;
/// here it ends the loop and sets <see cref="Stuck"/>.
/// </summary>
internal ref struct KhqrSubFieldReader(string s, int start, int length)
{
    private readonly string _s = s;
    private readonly int _end = start + length;
    private int _position = start;

    public JsTlvField Current { get; private set; }

    /// <summary>Read with <c>while (reader.MoveNext())</c>, not foreach, so this stays visible afterwards.</summary>
    public bool Stuck { get; private set; }

    public bool MoveNext()
    {
        if (_position >= _end)
        {
            return false;
        }

        var field = JsTlvCursor.Cut(_s, _position, _end);
        if (field.Next == _position)
        {
            Stuck = true;
            _position = _end;
            return false;
        }

        _position = field.Next;
        Current = field;
        return true;
    }
}
