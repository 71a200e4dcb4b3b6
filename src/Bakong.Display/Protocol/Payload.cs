using System.Buffers.Binary;
using System.Text;

namespace Bakong.Display.Protocol;

/// <summary>The payload field limits of protocol v1 (UTF-8 bytes).</summary>
public static class PayloadLimits
{
    public const int Text = 96;
    public const int PaymentId = 32;
    public const int Qr = 512;
}

/// <summary>Reads little-endian fields and length-prefixed UTF-8 strings; every Try fails (never throws) past the end or over a limit.</summary>
public ref struct PayloadReader(ReadOnlySpan<byte> payload)
{
    private readonly ReadOnlySpan<byte> _payload = payload;
    private int _position;

    public readonly int Remaining => _payload.Length - _position;

    public bool TryU8(out byte value)
    {
        value = 0;
        if (Remaining < 1)
        {
            return false;
        }

        value = _payload[_position++];
        return true;
    }

    public bool TryU16(out ushort value)
    {
        value = 0;
        if (Remaining < 2)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt16LittleEndian(_payload[_position..]);
        _position += 2;
        return true;
    }

    public bool TryU32(out uint value)
    {
        value = 0;
        if (Remaining < 4)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt32LittleEndian(_payload[_position..]);
        _position += 4;
        return true;
    }

    public bool TryU64(out ulong value)
    {
        value = 0;
        if (Remaining < 8)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt64LittleEndian(_payload[_position..]);
        _position += 8;
        return true;
    }

    public bool TryBytes(int length, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (Remaining < length)
        {
            return false;
        }

        value = _payload.Slice(_position, length);
        _position += length;
        return true;
    }

    /// <summary><c>str8</c>: a u8 byte length and UTF-8 bytes, at most <paramref name="limit"/>.</summary>
    public bool TryStr8(int limit, out string value)
    {
        value = "";
        return TryU8(out var length) && length <= limit && TryText(length, out value);
    }

    /// <summary><c>str16</c>: a u16le byte length and UTF-8 bytes, at most <paramref name="limit"/>.</summary>
    public bool TryStr16(int limit, out string value)
    {
        value = "";
        return TryU16(out var length) && length <= limit && TryText(length, out value);
    }

    private bool TryText(int length, out string value)
    {
        value = "";
        if (!TryBytes(length, out var bytes))
        {
            return false;
        }

        value = Encoding.UTF8.GetString(bytes);
        return true;
    }
}

/// <summary>Writes fields into a buffer; running out of room or a string over its limit is a caller bug (<see cref="ArgumentException"/>).</summary>
public ref struct PayloadWriter(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;

    public int Written { get; private set; }

    public readonly ReadOnlySpan<byte> WrittenSpan => _buffer[..Written];

    public void U8(byte value) => _buffer[Take(1)] = value;

    public void U16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(_buffer.Slice(Take(2), 2), value);

    public void U32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_buffer.Slice(Take(4), 4), value);

    public void U64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(_buffer.Slice(Take(8), 8), value);

    public void Bytes(ReadOnlySpan<byte> value) => value.CopyTo(_buffer.Slice(Take(value.Length), value.Length));

    public void Str8(string value, int limit)
    {
        var length = Utf8Length(value, Math.Min(limit, byte.MaxValue));
        U8((byte)length);
        Encoding.UTF8.GetBytes(value, _buffer.Slice(Take(length), length));
    }

    public void Str16(string value, int limit)
    {
        var length = Utf8Length(value, Math.Min(limit, ushort.MaxValue));
        U16((ushort)length);
        Encoding.UTF8.GetBytes(value, _buffer.Slice(Take(length), length));
    }

    private static int Utf8Length(string value, int limit)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        return length <= limit
            ? length
            : throw new ArgumentException($"{length} UTF-8 bytes; the limit is {limit}", nameof(value));
    }

    private int Take(int count)
    {
        if (Written + count > _buffer.Length)
        {
            throw new ArgumentException("The payload does not fit in " + _buffer.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes");
        }

        var at = Written;
        Written += count;
        return at;
    }
}
