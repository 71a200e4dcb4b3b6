namespace Bakong.Khqr.Generation;

/// <summary>
/// Writes EMV tag-length-value fields into a caller's buffer. Lengths are UTF-16 code units, as the official SDK
/// counts them (<c>String(value).length</c>); a template longer than 99 cannot be written as EMV, so it is
/// remembered for the caller to reject.
/// </summary>
internal ref struct TlvWriter(Span<char> buffer)
{
    private readonly Span<char> _buffer = buffer;

    public int Length { get; private set; }

    /// <summary>The first template whose content exceeded 99 characters, if any.</summary>
    public string? OversizedTemplate { get; private set; }

    public readonly ReadOnlySpan<char> Written => _buffer[..Length];

    public void Field(string tag, scoped ReadOnlySpan<char> value)
    {
        WriteTagAndLength(tag, value.Length);
        value.CopyTo(_buffer[Length..]);
        Length += value.Length;
    }

    /// <summary>Starts a template (29, 30, 62, 64, 99); returns the mark to pass to <see cref="EndTemplate"/>.</summary>
    public int BeginTemplate(string tag)
    {
        WriteTagAndLength(tag, 0);
        return Length;
    }

    public void EndTemplate(int mark, string tag)
    {
        var contentLength = Length - mark;
        if (contentLength > 99)
        {
            OversizedTemplate ??= tag;
        }

        WriteLength(_buffer.Slice(mark - 2, 2), contentLength % 100);
    }

    public void Raw(scoped ReadOnlySpan<char> text)
    {
        text.CopyTo(_buffer[Length..]);
        Length += text.Length;
    }

    private void WriteTagAndLength(string tag, int length)
    {
        _buffer[Length] = tag[0];
        _buffer[Length + 1] = tag[1];
        WriteLength(_buffer.Slice(Length + 2, 2), length);
        Length += 4;
    }

    private static void WriteLength(Span<char> destination, int length)
    {
        destination[0] = (char)('0' + (length / 10));
        destination[1] = (char)('0' + (length % 10));
    }
}
