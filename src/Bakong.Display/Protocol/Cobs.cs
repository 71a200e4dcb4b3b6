namespace Bakong.Display.Protocol;

/// <summary>
/// Consistent Overhead Byte Stuffing: the encoded bytes contain no 0x00, so 0x00 can delimit frames. One code byte per
/// run of at most 254 non-zero bytes; a run of exactly 254 (code 0xFF) carries no implied zero, and no code byte is added
/// after a last full run.
/// </summary>
public static class Cobs
{
    /// <summary>The longest encoding of <paramref name="length"/> bytes: one code byte, plus one per 254 bytes.</summary>
    public static int MaxEncodedLength(int length) => length + 1 + (length / 254);

    /// <summary>Encodes <paramref name="source"/> into <paramref name="destination"/> (at least <see cref="MaxEncodedLength"/> long); returns the bytes written.</summary>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var codeIndex = 0;
        var write = 1;
        byte code = 1;
        for (var i = 0; i < source.Length; i++)
        {
            var b = source[i];
            if (b == 0)
            {
                destination[codeIndex] = code;
                codeIndex = write++;
                code = 1;
                continue;
            }

            destination[write++] = b;
            code++;
            if (code == 0xFF)
            {
                destination[codeIndex] = code;
                code = 1;

                // A full run at the very end gets no further code byte.
                if (i + 1 == source.Length)
                {
                    return write;
                }

                codeIndex = write++;
            }
        }

        destination[codeIndex] = code;
        return write;
    }

    /// <summary>
    /// Decodes one encoded block (no delimiters) into <paramref name="destination"/> (at least as long as the source).
    /// False when a code byte is 0x00 or the last block promises bytes past the end (<see cref="FrameError.CobsInvalid"/>);
    /// <paramref name="written"/> then still counts the bytes that were there, because the length check comes first
    /// (SPEC.md §4.2: an over-long candidate is TOO_LONG even when its last block is incomplete).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        var read = 0;
        while (read < source.Length)
        {
            var code = source[read++];
            if (code == 0)
            {
                return false;
            }

            var run = Math.Min(code - 1, source.Length - read);
            var block = source.Slice(read, run);
            if (block.Contains((byte)0))
            {
                return false;
            }

            block.CopyTo(destination[written..]);
            read += run;
            written += run;
            if (run < code - 1)
            {
                return false;
            }

            if (code != 0xFF && read < source.Length)
            {
                destination[written++] = 0;
            }
        }

        return true;
    }
}
