namespace Bakong.Khqr.Hashing;

/// <summary>
/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) — the KHQR checksum (tag 63),
/// computed over the UTF-8 bytes of the payload up to and including "6304".
/// </summary>
/// <remarks>
/// Slicing-by-8: eight 256-entry tables let one step consume eight bytes with independent lookups, several times
/// faster than the byte-at-a-time table the SDK uses, which matters because every generate and verify pays it.
/// </remarks>
internal static class Crc16
{
    private const ushort Polynomial = 0x1021;
    private const ushort Initial = 0xFFFF;

    private static readonly ushort[] s_tables = BuildTables();

    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        var t = s_tables.AsSpan();
        uint crc = Initial;
        while (data.Length >= 8)
        {
            var hi = (crc >> 8) ^ data[0];
            var lo = (crc & 0xFF) ^ data[1];
            crc = (uint)(t[(7 * 256) + (int)hi] ^ t[(6 * 256) + (int)lo]
                ^ t[(5 * 256) + data[2]] ^ t[(4 * 256) + data[3]]
                ^ t[(3 * 256) + data[4]] ^ t[(2 * 256) + data[5]]
                ^ t[256 + data[6]] ^ t[data[7]]);
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = ((crc << 8) ^ t[(int)(((crc >> 8) ^ b) & 0xFF)]) & 0xFFFF;
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
        var tables = new ushort[8 * 256];
        for (var i = 0; i < 256; i++)
        {
            var crc = (ushort)(i << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ Polynomial) : (ushort)(crc << 1);
            }

            tables[i] = crc;
        }

        for (var k = 1; k < 8; k++)
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
