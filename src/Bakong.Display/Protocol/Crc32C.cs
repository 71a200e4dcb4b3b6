using System.Buffers.Binary;
using System.Numerics;

namespace Bakong.Display.Protocol;

/// <summary>
/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF; check("123456789") = 0xE3069283),
/// the frame check of display protocol v1.
/// </summary>
/// <remarks>
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> is the SSE4.2 / ARMv8 CRC32C instruction where the CPU has it (a
/// software fallback where not), eight bytes per step. System.IO.Hashing has no CRC-32C, only CRC-32 (IEEE) and CRC-64.
/// </remarks>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
