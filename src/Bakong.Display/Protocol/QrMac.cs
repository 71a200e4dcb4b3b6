using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Bakong.Display.Protocol;

/// <summary>
/// The optional QR MAC trailer of SHOW_QR and SHOW_RESULT (SPEC.md §6.5): <c>mac_counter u32le · tag</c>, the tag being
/// the first 16 bytes of HMAC-SHA256(key, boot_id u32le · type · payload up to and including mac_counter). It binds a
/// command to one boot of one device, to its type, and to a counter that only grows within the boot, so a process that
/// got hold of the port cannot put a payable code (or a false PAID) on the display, nor replay a recorded one.
/// </summary>
public static class QrMac
{
    public const int CounterLength = 4;
    public const int TagLength = 16;
    public const int TrailerLength = CounterLength + TagLength;

    /// <summary>The shortest and longest keys a device must accept.</summary>
    public const int MinKeyLength = 1;

    public const int MaxKeyLength = 64;

    /// <summary>
    /// A key written in hex (surrounding white space ignored; empty: no key). False with a reason that never contains
    /// the key: not hex, an odd number of digits, or not 1–64 bytes.
    /// </summary>
    public static bool TryParseKey(string hex, out byte[] key, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(hex);
        key = [];
        problem = null;
        hex = hex.Trim();
        if (hex.Length == 0)
        {
            return true;
        }

        if (hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
        {
            problem = "the QR MAC key must be hex digits (an even number of them)";
            return false;
        }

        if (hex.Length / 2 is < MinKeyLength or > MaxKeyLength)
        {
            problem = "the QR MAC key must be 1 to 64 bytes (32 random bytes recommended)";
            return false;
        }

        key = Convert.FromHexString(hex);
        return true;
    }

    /// <summary>Whether <paramref name="type"/> carries the trailer when the device holds a key.</summary>
    public static bool IsTagged(byte type) => (MessageType)type is MessageType.ShowQr or MessageType.ShowResult;

    /// <summary><paramref name="payload"/> followed by the trailer for <paramref name="counter"/>, in a new array.</summary>
    public static byte[] Append(ReadOnlySpan<byte> key, uint bootId, MessageType type, ReadOnlySpan<byte> payload, uint counter)
    {
        var tagged = new byte[payload.Length + TrailerLength];
        payload.CopyTo(tagged);
        BinaryPrimitives.WriteUInt32LittleEndian(tagged.AsSpan(payload.Length), counter);
        Tag(key, bootId, (byte)type, tagged.AsSpan(0, payload.Length + CounterLength), tagged.AsSpan(payload.Length + CounterLength));
        return tagged;
    }

    /// <summary>
    /// Checks the trailer of <paramref name="tagged"/> as a device of <paramref name="bootId"/> does: the tag (compared
    /// in constant time), then the counter above <paramref name="lastCounter"/>. True with the counter and the length of
    /// the message fields (the payload without its trailer); false for AUTH_FAILED.
    /// </summary>
    public static bool TryVerify(
        ReadOnlySpan<byte> key, uint bootId, byte type, ReadOnlySpan<byte> tagged, uint lastCounter, out uint counter, out int fieldsLength)
    {
        counter = 0;
        fieldsLength = tagged.Length - TrailerLength;
        if (fieldsLength < 0)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[TagLength];
        Tag(key, bootId, type, tagged[..(fieldsLength + CounterLength)], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, tagged[(fieldsLength + CounterLength)..]))
        {
            return false;
        }

        counter = BinaryPrimitives.ReadUInt32LittleEndian(tagged[fieldsLength..]);
        return counter > lastCounter;
    }

    private static void Tag(ReadOnlySpan<byte> key, uint bootId, byte type, ReadOnlySpan<byte> covered, Span<byte> tag)
    {
        var data = new byte[4 + 1 + covered.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(data, bootId);
        data[4] = type;
        covered.CopyTo(data.AsSpan(5));
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, data, mac);
        mac[..TagLength].CopyTo(tag);
    }
}
