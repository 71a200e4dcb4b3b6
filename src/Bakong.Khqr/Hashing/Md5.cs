using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bakong.Khqr.Hashing;

/// <summary>
/// RFC 1321 MD5 on spans, without heap allocation.
/// </summary>
/// <remarks>
/// Exists because KHQR hashes every payload (~150–300 bytes) with MD5 at up to ~1M payloads/s on one thread,
/// and <see cref="System.Security.Cryptography.MD5.HashData(ReadOnlySpan{byte}, Span{byte})"/> spends about
/// as long setting up its native (OpenSSL) context as hashing (~0.6–0.8 µs per 200-byte call, against ~0.3 µs
/// here). MD5 is the payload identifier KHQR prescribes, not a security primitive. The 64 steps are unrolled
/// with their constants inline on purpose: that is what makes it fast.
/// </remarks>
internal static class Md5
{
    public const int HashSizeInBytes = 16;

    private const int BlockSizeInBytes = 64;

    /// <summary>Computes the MD5 of <paramref name="source"/> into the first 16 bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 16 bytes.</exception>
    public static void HashData(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, HashSizeInBytes, nameof(destination));

        uint a = 0x67452301;
        uint b = 0xefcdab89;
        uint c = 0x98badcfe;
        uint d = 0x10325476;

        var fullBlocksLength = source.Length & ~(BlockSizeInBytes - 1);
        ProcessBlocks(source[..fullBlocksLength], ref a, ref b, ref c, ref d);

        // Padding: the remaining bytes, 0x80, zeros, then the bit length as a little-endian 64-bit integer.
        // One block if the remainder leaves room for the marker and the length (remainder <= 55), else two.
        ReadOnlySpan<byte> remainder = source[fullBlocksLength..];
        Span<byte> tail = stackalloc byte[2 * BlockSizeInBytes];
        remainder.CopyTo(tail);
        tail[remainder.Length] = 0x80;
        var tailLength = remainder.Length < BlockSizeInBytes - sizeof(ulong) ? BlockSizeInBytes : 2 * BlockSizeInBytes;
        BinaryPrimitives.WriteUInt64LittleEndian(tail[(tailLength - sizeof(ulong))..], (ulong)source.Length << 3);
        ProcessBlocks(tail[..tailLength], ref a, ref b, ref c, ref d);

        BinaryPrimitives.WriteUInt32LittleEndian(destination, a);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], b);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], c);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], d);
    }

    /// <summary>Computes the MD5 of <paramref name="source"/> as 32 lowercase hex characters; allocates only the string.</summary>
    public static string HashToLowerHex(ReadOnlySpan<byte> source)
    {
        Span<byte> hash = stackalloc byte[HashSizeInBytes];
        HashData(source, hash);
        return Convert.ToHexStringLower(hash);
    }

    // data.Length is a multiple of 64.
    private static void ProcessBlocks(ReadOnlySpan<byte> data, ref uint state0, ref uint state1, ref uint state2, ref uint state3)
    {
        var a0 = state0;
        var b0 = state1;
        var c0 = state2;
        var d0 = state3;

        while (data.Length >= BlockSizeInBytes)
        {
            // Native-endian words (Le() is a no-op on little-endian hardware). The JIT knows the cast 64-byte
            // slice has 16 elements, so w[0]..w[15] compile without bounds checks.
            ReadOnlySpan<uint> w = MemoryMarshal.Cast<byte, uint>(data[..BlockSizeInBytes]);

            var a = a0;
            var b = b0;
            var c = c0;
            var d = d0;

            // Round 1
            a = FF(a, b, c, d, Le(w[0]), 7, 0xd76aa478);
            d = FF(d, a, b, c, Le(w[1]), 12, 0xe8c7b756);
            c = FF(c, d, a, b, Le(w[2]), 17, 0x242070db);
            b = FF(b, c, d, a, Le(w[3]), 22, 0xc1bdceee);
            a = FF(a, b, c, d, Le(w[4]), 7, 0xf57c0faf);
            d = FF(d, a, b, c, Le(w[5]), 12, 0x4787c62a);
            c = FF(c, d, a, b, Le(w[6]), 17, 0xa8304613);
            b = FF(b, c, d, a, Le(w[7]), 22, 0xfd469501);
            a = FF(a, b, c, d, Le(w[8]), 7, 0x698098d8);
            d = FF(d, a, b, c, Le(w[9]), 12, 0x8b44f7af);
            c = FF(c, d, a, b, Le(w[10]), 17, 0xffff5bb1);
            b = FF(b, c, d, a, Le(w[11]), 22, 0x895cd7be);
            a = FF(a, b, c, d, Le(w[12]), 7, 0x6b901122);
            d = FF(d, a, b, c, Le(w[13]), 12, 0xfd987193);
            c = FF(c, d, a, b, Le(w[14]), 17, 0xa679438e);
            b = FF(b, c, d, a, Le(w[15]), 22, 0x49b40821);
            // Round 2
            a = GG(a, b, c, d, Le(w[1]), 5, 0xf61e2562);
            d = GG(d, a, b, c, Le(w[6]), 9, 0xc040b340);
            c = GG(c, d, a, b, Le(w[11]), 14, 0x265e5a51);
            b = GG(b, c, d, a, Le(w[0]), 20, 0xe9b6c7aa);
            a = GG(a, b, c, d, Le(w[5]), 5, 0xd62f105d);
            d = GG(d, a, b, c, Le(w[10]), 9, 0x02441453);
            c = GG(c, d, a, b, Le(w[15]), 14, 0xd8a1e681);
            b = GG(b, c, d, a, Le(w[4]), 20, 0xe7d3fbc8);
            a = GG(a, b, c, d, Le(w[9]), 5, 0x21e1cde6);
            d = GG(d, a, b, c, Le(w[14]), 9, 0xc33707d6);
            c = GG(c, d, a, b, Le(w[3]), 14, 0xf4d50d87);
            b = GG(b, c, d, a, Le(w[8]), 20, 0x455a14ed);
            a = GG(a, b, c, d, Le(w[13]), 5, 0xa9e3e905);
            d = GG(d, a, b, c, Le(w[2]), 9, 0xfcefa3f8);
            c = GG(c, d, a, b, Le(w[7]), 14, 0x676f02d9);
            b = GG(b, c, d, a, Le(w[12]), 20, 0x8d2a4c8a);
            // Round 3
            a = HH(a, b, c, d, Le(w[5]), 4, 0xfffa3942);
            d = HH(d, a, b, c, Le(w[8]), 11, 0x8771f681);
            c = HH(c, d, a, b, Le(w[11]), 16, 0x6d9d6122);
            b = HH(b, c, d, a, Le(w[14]), 23, 0xfde5380c);
            a = HH(a, b, c, d, Le(w[1]), 4, 0xa4beea44);
            d = HH(d, a, b, c, Le(w[4]), 11, 0x4bdecfa9);
            c = HH(c, d, a, b, Le(w[7]), 16, 0xf6bb4b60);
            b = HH(b, c, d, a, Le(w[10]), 23, 0xbebfbc70);
            a = HH(a, b, c, d, Le(w[13]), 4, 0x289b7ec6);
            d = HH(d, a, b, c, Le(w[0]), 11, 0xeaa127fa);
            c = HH(c, d, a, b, Le(w[3]), 16, 0xd4ef3085);
            b = HH(b, c, d, a, Le(w[6]), 23, 0x04881d05);
            a = HH(a, b, c, d, Le(w[9]), 4, 0xd9d4d039);
            d = HH(d, a, b, c, Le(w[12]), 11, 0xe6db99e5);
            c = HH(c, d, a, b, Le(w[15]), 16, 0x1fa27cf8);
            b = HH(b, c, d, a, Le(w[2]), 23, 0xc4ac5665);
            // Round 4
            a = II(a, b, c, d, Le(w[0]), 6, 0xf4292244);
            d = II(d, a, b, c, Le(w[7]), 10, 0x432aff97);
            c = II(c, d, a, b, Le(w[14]), 15, 0xab9423a7);
            b = II(b, c, d, a, Le(w[5]), 21, 0xfc93a039);
            a = II(a, b, c, d, Le(w[12]), 6, 0x655b59c3);
            d = II(d, a, b, c, Le(w[3]), 10, 0x8f0ccc92);
            c = II(c, d, a, b, Le(w[10]), 15, 0xffeff47d);
            b = II(b, c, d, a, Le(w[1]), 21, 0x85845dd1);
            a = II(a, b, c, d, Le(w[8]), 6, 0x6fa87e4f);
            d = II(d, a, b, c, Le(w[15]), 10, 0xfe2ce6e0);
            c = II(c, d, a, b, Le(w[6]), 15, 0xa3014314);
            b = II(b, c, d, a, Le(w[13]), 21, 0x4e0811a1);
            a = II(a, b, c, d, Le(w[4]), 6, 0xf7537e82);
            d = II(d, a, b, c, Le(w[11]), 10, 0xbd3af235);
            c = II(c, d, a, b, Le(w[2]), 15, 0x2ad7d2bb);
            b = II(b, c, d, a, Le(w[9]), 21, 0xeb86d391);

            a0 += a;
            b0 += b;
            c0 += c;
            d0 += d;
            data = data[BlockSizeInBytes..];
        }

        state0 = a0;
        state1 = b0;
        state2 = c0;
        state3 = d0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Le(uint value) => BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);

    // In each step b is the value just computed, so a + x + k (and what depends only on c and d) is added first,
    // off the critical path.

    // F(b, c, d) = (b & c) | (~b & d), written as a select with one operation fewer.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint FF(uint a, uint b, uint c, uint d, uint x, int s, uint k) =>
        b + BitOperations.RotateLeft(a + x + k + (((c ^ d) & b) ^ d), s);

    // G(b, c, d) = (b & d) | (c & ~d); the two terms never share a bit, so + replaces | and shortens the dependency chain.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint GG(uint a, uint b, uint c, uint d, uint x, int s, uint k) =>
        b + BitOperations.RotateLeft(a + x + k + (c & ~d) + (b & d), s);

    // H(b, c, d) = b ^ c ^ d
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint HH(uint a, uint b, uint c, uint d, uint x, int s, uint k) =>
        b + BitOperations.RotateLeft(a + x + k + ((c ^ d) ^ b), s);

    // I(b, c, d) = c ^ (b | ~d)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint II(uint a, uint b, uint c, uint d, uint x, int s, uint k) =>
        b + BitOperations.RotateLeft(a + x + k + (c ^ (b | ~d)), s);
}
