namespace Bakong.Display.Protocol;

/// <summary>Why a receiver dropped the bytes between two delimiters (counted, never thrown).</summary>
public enum FrameError
{
    /// <summary>A COBS code byte runs past the end of the block.</summary>
    CobsInvalid = 0,

    /// <summary>Fewer than 10 decoded bytes: no room for a header and a CRC.</summary>
    TooShort = 1,

    /// <summary>The header's <c>len</c> is not the decoded length minus 10.</summary>
    LengthMismatch = 2,

    /// <summary>The CRC-32C does not match.</summary>
    BadCrc = 3,

    /// <summary>More than 647 bytes before a delimiter, or more than 644 decoded bytes (checked first).</summary>
    TooLong = 4,
}
