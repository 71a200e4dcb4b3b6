using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Unicode;

namespace Bakong.Khqr.Hashing;

/// <summary>
/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) — the KHQR checksum (tag 63),
/// computed over the UTF-8 bytes of the payload up to and including "6304".
/// </summary>
/// <remarks>
/// Every generate and verify pays this over the whole payload, so it is fast: where the processor multiplies
/// carry-lessly (PCLMULQDQ), 16 bytes are folded per step and only the last 16 go through a table; elsewhere
/// slicing-by-16 tables (8 KiB) consume 16 bytes per step with one lookup waiting on the previous step. Either is
/// several times faster than the byte-at-a-time table the SDK uses.
/// </remarks>
internal static class Crc16
{
    private const ushort Polynomial = 0x1021;
    private const ushort Initial = 0xFFFF;
    private const int Slices = 16;

    private const int FoldBlock = 16;

    private static readonly ushort[] s_tables = BuildTables();
    private static readonly ulong s_xPow128 = XPowModP(128);
    private static readonly ulong s_xPow192 = XPowModP(192);

    public static ushort Compute(ReadOnlySpan<byte> data) =>
        Pclmulqdq.IsSupported && data.Length >= 2 * FoldBlock ? Fold(data) : Update(Initial, data);

    /// <summary>The CRC of the UTF-8 encoding of <paramref name="text"/>, encoded on the stack.</summary>
    [SkipLocalsInit]
    public static ushort ComputeUtf8(ReadOnlySpan<char> text)
    {
        // A KHQR fits one buffer: encode it after one block of room, so it can be front-padded to whole blocks.
        Span<byte> buffer = stackalloc byte[FoldBlock + 512];
        var status = Utf8.FromUtf16(text, buffer[FoldBlock..], out var read, out var written, replaceInvalidSequences: true, isFinalBlock: true);
        if (status == OperationStatus.Done && Pclmulqdq.IsSupported && written >= FoldBlock)
        {
            // Zeros in front change nothing once the initial value is xored into the first two bytes.
            buffer[FoldBlock] ^= Initial >> 8;
            buffer[FoldBlock + 1] ^= Initial & 0xFF;
            var padding = (FoldBlock - (written % FoldBlock)) % FoldBlock;
            buffer.Slice(FoldBlock - padding, padding).Clear();
            return FoldBlocks(buffer.Slice(FoldBlock - padding, padding + written));
        }

        // Longer text: a chunk at a time; the whole remaining text is the source each time, so a surrogate pair
        // is never cut in two.
        var crc = Update(Initial, buffer.Slice(FoldBlock, written));
        text = text[read..];
        while (status == OperationStatus.DestinationTooSmall)
        {
            status = Utf8.FromUtf16(text, buffer, out read, out written, replaceInvalidSequences: true, isFinalBlock: true);
            crc = Update(crc, buffer[..written]);
            text = text[read..];
        }

        return crc;
    }

    // Carry-less multiplication folds 16 bytes at a time: with X the 128 bits read so far (hi·x^64 + lo) and Y the
    // next 16 bytes, X·x^128 + Y ≡ hi·(x^192 mod P) + lo·(x^128 mod P) + Y (mod P), a 79-bit product that fits
    // in 128 bits again. The CRC of the folded 16 bytes followed by the tail is the CRC of the whole message,
    // because the CRC (with a zero initial value) is the message times x^16 mod P. The initial 0xFFFF is the same
    // as 0xFFFF xored into the first two bytes.
    private static ushort Fold(ReadOnlySpan<byte> data)
    {
        Span<byte> first = stackalloc byte[FoldBlock];
        data[..FoldBlock].CopyTo(first);
        first[0] ^= Initial >> 8;
        first[1] ^= Initial & 0xFF;
        var whole = data.Length / FoldBlock * FoldBlock;
        var x = FoldToBlock(first, data[FoldBlock..whole]);
        Span<byte> remainder = stackalloc byte[FoldBlock];
        x.CopyTo(remainder);
        return Update(Update(0, remainder), data[whole..]);
    }

    // The CRC, with a zero initial value, of whole blocks.
    private static ushort FoldBlocks(ReadOnlySpan<byte> blocks)
    {
        Span<byte> remainder = stackalloc byte[FoldBlock];
        FoldToBlock(blocks[..FoldBlock], blocks[FoldBlock..]).CopyTo(remainder);
        return Update(0, remainder);
    }

    // Folds the first block and the whole blocks after it into one block with the same CRC (zero initial value).
    private static Vector128<byte> FoldToBlock(ReadOnlySpan<byte> first, ReadOnlySpan<byte> rest)
    {
        // Reversing a block's 16 bytes turns it into one 128-bit big-endian number: lane 1 high, lane 0 low.
        var reverse = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        var constants = Vector128.Create(s_xPow128, s_xPow192);
        var x = Vector128.Shuffle(Vector128.Create(first), reverse).AsUInt64();
        while (rest.Length >= FoldBlock)
        {
            var y = Vector128.Shuffle(Vector128.Create(rest), reverse).AsUInt64();
            x = y ^ Pclmulqdq.CarrylessMultiply(x, constants, 0x11) ^ Pclmulqdq.CarrylessMultiply(x, constants, 0x00);
            rest = rest[FoldBlock..];
        }

        return Vector128.Shuffle(x.AsByte(), reverse);
    }

    // x^n mod P as a polynomial with bit i the coefficient of x^i.
    private static ulong XPowModP(int n)
    {
        uint r = 1;
        for (var i = 0; i < n; i++)
        {
            r <<= 1;
            if ((r & 0x10000) != 0)
            {
                r ^= 0x10000 | Polynomial;
            }
        }

        return r;
    }

    private static ushort Update(ushort initial, ReadOnlySpan<byte> data)
    {
        // Indices are a byte plus a multiple of 256 below 16 × 256: within the table by construction.
        ref var t = ref MemoryMarshal.GetArrayDataReference(s_tables);
        uint crc = initial;
        while (data.Length >= 16)
        {
            var first = BinaryPrimitives.ReadUInt64BigEndian(data);
            var second = BinaryPrimitives.ReadUInt64BigEndian(data[8..]);
            var hi = ((crc >> 8) ^ (uint)(first >> 56)) & 0xFF;
            var lo = (crc ^ (uint)(first >> 48)) & 0xFF;
            crc = (uint)(Unsafe.Add(ref t, (15 * 256) + (int)hi) ^ Unsafe.Add(ref t, (14 * 256) + (int)lo)
                ^ Unsafe.Add(ref t, (13 * 256) + (int)((first >> 40) & 0xFF)) ^ Unsafe.Add(ref t, (12 * 256) + (int)((first >> 32) & 0xFF))
                ^ Unsafe.Add(ref t, (11 * 256) + (int)((first >> 24) & 0xFF)) ^ Unsafe.Add(ref t, (10 * 256) + (int)((first >> 16) & 0xFF))
                ^ Unsafe.Add(ref t, (9 * 256) + (int)((first >> 8) & 0xFF)) ^ Unsafe.Add(ref t, (8 * 256) + (int)(first & 0xFF))
                ^ Unsafe.Add(ref t, (7 * 256) + (int)(second >> 56)) ^ Unsafe.Add(ref t, (6 * 256) + (int)((second >> 48) & 0xFF))
                ^ Unsafe.Add(ref t, (5 * 256) + (int)((second >> 40) & 0xFF)) ^ Unsafe.Add(ref t, (4 * 256) + (int)((second >> 32) & 0xFF))
                ^ Unsafe.Add(ref t, (3 * 256) + (int)((second >> 24) & 0xFF)) ^ Unsafe.Add(ref t, (2 * 256) + (int)((second >> 16) & 0xFF))
                ^ Unsafe.Add(ref t, 256 + (int)((second >> 8) & 0xFF)) ^ Unsafe.Add(ref t, (int)(second & 0xFF)));
            data = data[16..];
        }

        foreach (var b in data)
        {
            crc = ((crc << 8) ^ Unsafe.Add(ref t, (int)(((crc >> 8) ^ b) & 0xFF))) & 0xFFFF;
        }

        return (ushort)crc;
    }

    /// <summary>Writes the checksum as four upper-case hex digits, as the SDK prints it.</summary>
    public static void WriteHex(ushort crc, Span<char> destination)
    {
        const string Hex = "0123456789ABCDEF";
        destination[0] = Hex[crc >> 12];
        destination[1] = Hex[(crc >> 8) & 0xF];
        destination[2] = Hex[(crc >> 4) & 0xF];
        destination[3] = Hex[crc & 0xF];
    }

    // Table k maps a byte to the CRC of that byte followed by k zero bytes.
    private static ushort[] BuildTables()
    {
        var tables = new ushort[Slices * 256];
        for (var i = 0; i < 256; i++)
        {
            var crc = (ushort)(i << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ Polynomial) : (ushort)(crc << 1);
            }

            tables[i] = crc;
        }

        for (var k = 1; k < Slices; k++)
        {
            for (var i = 0; i < 256; i++)
            {
                var previous = tables[((k - 1) * 256) + i];
                tables[(k * 256) + i] = (ushort)((previous << 8) ^ tables[previous >> 8]);
            }
        }

        return tables;
    }
}
