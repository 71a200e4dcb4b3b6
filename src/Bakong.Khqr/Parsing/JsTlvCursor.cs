namespace Bakong.Khqr.Parsing;

/// <summary>One field as the SDK's <c>cutString</c> cuts it: positions into the string being read.</summary>
internal readonly record struct JsTlvField(int TagStart, int TagLength, int ValueStart, int ValueLength, int Next)
{
    public ReadOnlySpan<char> Tag(string s) => s.AsSpan(TagStart, TagLength);

    public ReadOnlySpan<char> Value(string s) => s.AsSpan(ValueStart, ValueLength);
}

/// <summary>
/// The official SDK's TLV reader (<c>helper/cutString.js</c>), reproduced exactly: the tag is the next two
/// characters, the length is <c>parseInt</c> of the two after, and the value and the rest come from JavaScript's
/// <c>slice</c>, whose NaN and negative arguments make the "rest" the same string or one of its suffixes.
/// Everything stays a position in the original string, so reading allocates nothing.
/// </summary>
internal static class JsTlvCursor
{
    /// <summary>Cuts the field at <paramref name="position"/> of <c>s[..end]</c> (the current string is <c>s[position..end]</c>).</summary>
    public static JsTlvField Cut(string s, int position, int end)
    {
        var m = end - position;

        // The usual case: a two-digit length.
        if (m >= 4 && char.IsAsciiDigit(s[position + 2]) && char.IsAsciiDigit(s[position + 3]))
        {
            var digits = ((s[position + 2] - '0') * 10) + (s[position + 3] - '0');
            var available = Math.Min(digits, m - 4);
            return new JsTlvField(position, 2, position + 4, available, position + 4 + available);
        }

        var tagLength = Math.Min(2, m);
        var lengthField = s.AsSpan(position + Math.Min(2, m), Math.Max(0, Math.Min(4, m) - 2));
        var length = JsNumber.ParseInt(lengthField);

        // value = current.slice(4, 4 + length); rest = current.slice(4 + length). NaN counts as 0.
        var valueFrom = Slice(4, m);
        var valueTo = length is { } l ? Slice(4 + l, m) : 0;
        var valueLength = Math.Max(0, valueTo - valueFrom);
        var rest = length is { } l2 ? Slice(4 + l2, m) : 0;
        return new JsTlvField(position, tagLength, position + valueFrom, valueLength, position + rest);
    }

    // JavaScript's relative index for slice: negative counts from the end, then clamp to [0, m].
    private static int Slice(int index, int m) => index < 0 ? Math.Max(m + index, 0) : Math.Min(index, m);
}
