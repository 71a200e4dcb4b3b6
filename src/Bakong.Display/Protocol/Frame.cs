using System.Buffers.Binary;

namespace Bakong.Display.Protocol;

/// <summary>
/// One decoded frame: <c>ver u8 · type u8 · flags u8 · seq u8 · len u16le · payload · crc32c u32le</c>. The payload is
/// a view into the decoder's buffer, valid until the decoder is fed again.
/// </summary>
public readonly ref struct Frame
{
    public Frame(byte version, byte type, FrameOptions flags, byte seq, ReadOnlySpan<byte> payload)
    {
        Version = version;
        Type = type;
        Flags = flags;
        Seq = seq;
        Payload = payload;
    }

    public byte Version { get; }

    public byte Type { get; }

    public FrameOptions Flags { get; }

    public byte Seq { get; }

    public ReadOnlySpan<byte> Payload { get; }

    public MessageType MessageType => (MessageType)Type;

    public bool AckRequested => (Flags & FrameOptions.AckRequested) != 0;

    public bool IsResponse => (Flags & FrameOptions.Response) != 0;
}

/// <summary>Encodes frames to wire bytes and decodes one delimited block; the limits of protocol v1.</summary>
public static class FrameCodec
{
    public const byte ProtocolVersion = 1;

    /// <summary>The minor version this implementation speaks (HELLO, HELLO_ACK): 1.1.</summary>
    public const byte ProtocolMinor = 1;
    public const int HeaderLength = 6;
    public const int CrcLength = 4;

    /// <summary>Header + payload, at most (the v1 MTU).</summary>
    public const int MaxHeaderAndPayload = 640;

    public const int MaxPayload = MaxHeaderAndPayload - HeaderLength;
    public const int MaxDecoded = MaxHeaderAndPayload + CrcLength;

    /// <summary>The longest COBS block of a valid frame, without delimiters: a receiver's buffer.</summary>
    public const int MaxEncoded = MaxDecoded + 3;

    /// <summary>The longest wire frame, with both delimiters.</summary>
    public const int MaxWire = MaxEncoded + 2;

    /// <summary>
    /// Writes <c>0x00 · COBS(header · payload · crc) · 0x00</c> to <paramref name="wire"/> (at least <see cref="MaxWire"/>
    /// bytes for any payload); returns the bytes written. A payload over <see cref="MaxPayload"/> is a caller bug.
    /// </summary>
    public static int Encode(byte version, byte type, FrameOptions flags, byte seq, ReadOnlySpan<byte> payload, Span<byte> wire)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, MaxPayload, nameof(payload));
        Span<byte> decoded = stackalloc byte[MaxDecoded];
        decoded[0] = version;
        decoded[1] = type;
        decoded[2] = (byte)flags;
        decoded[3] = seq;
        BinaryPrimitives.WriteUInt16LittleEndian(decoded[4..], (ushort)payload.Length);
        payload.CopyTo(decoded[HeaderLength..]);
        var covered = HeaderLength + payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(decoded[covered..], Crc32C.Compute(decoded[..covered]));
        wire[0] = 0;
        var encoded = Cobs.Encode(decoded[..(covered + CrcLength)], wire[1..]);
        wire[encoded + 1] = 0;
        return encoded + 2;
    }

    /// <summary>The wire bytes of one frame, in a new array.</summary>
    public static byte[] Encode(MessageType type, FrameOptions flags, byte seq, ReadOnlySpan<byte> payload, byte version = ProtocolVersion)
    {
        Span<byte> wire = stackalloc byte[MaxWire];
        return wire[..Encode(version, (byte)type, flags, seq, payload, wire)].ToArray();
    }

    /// <summary>
    /// Decodes one COBS block (the bytes between two delimiters) into <paramref name="scratch"/> (at least
    /// <see cref="MaxEncoded"/> long); <see langword="null"/> and the frame, or the reason it is dropped.
    /// </summary>
    public static FrameError? TryDecode(ReadOnlySpan<byte> encoded, Span<byte> scratch, out Frame frame)
    {
        frame = default;
        if (encoded.Length > MaxEncoded)
        {
            return FrameError.TooLong;
        }

        // SPEC.md §4.2 check 1 before check 2: the decoded length counts the bytes present even when the last COBS block
        // is incomplete, so C and C# count the same drop for the same candidate.
        var complete = Cobs.TryDecode(encoded, scratch, out var length);
        if (length > MaxDecoded)
        {
            return FrameError.TooLong;
        }

        if (!complete)
        {
            return FrameError.CobsInvalid;
        }

        if (length < HeaderLength + CrcLength)
        {
            return FrameError.TooShort;
        }

        var decoded = scratch[..length];
        var payloadLength = BinaryPrimitives.ReadUInt16LittleEndian(decoded[4..]);
        if (payloadLength != length - HeaderLength - CrcLength)
        {
            return FrameError.LengthMismatch;
        }

        var covered = HeaderLength + payloadLength;
        if (BinaryPrimitives.ReadUInt32LittleEndian(decoded[covered..]) != Crc32C.Compute(decoded[..covered]))
        {
            return FrameError.BadCrc;
        }

        frame = new Frame(decoded[0], decoded[1], (FrameOptions)decoded[2], decoded[3], decoded.Slice(HeaderLength, payloadLength));
        return null;
    }
}
