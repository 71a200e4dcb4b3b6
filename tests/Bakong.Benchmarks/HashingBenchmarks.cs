using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Bakong.Khqr.Hashing;

namespace Bakong.Benchmarks;

/// <summary>Where generation's time goes: the two hashes over a typical 200-byte payload.</summary>
[MemoryDiagnoser]
public class HashingBenchmarks
{
    private readonly byte[] _payload = Encoding.UTF8.GetBytes(
        "00020101021230480015kiosk_shop@aclb011012345678900211ACLEDA Bank5204599953038405405" +
        "12.505802KH5912Sokha Coffee6010Phnom Penh62410115INV-2026-0001230309Riverside0706POS-0199340013176722560000001131767225900000630412AB");

    private readonly byte[] _hash = new byte[16];

    [Benchmark(Baseline = true)]
    public byte[] PlatformMd5()
    {
#pragma warning disable CA5351 // MD5 is KHQR's payload identifier, not a security primitive.
        MD5.HashData(_payload, _hash);
#pragma warning restore CA5351
        return _hash;
    }

    [Benchmark]
    public byte[] ManagedMd5()
    {
        Md5.HashData(_payload, _hash);
        return _hash;
    }

    [Benchmark]
    public ushort Crc16() => Bakong.Khqr.Hashing.Crc16.Compute(_payload);
}
