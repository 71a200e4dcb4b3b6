using System.Diagnostics.CodeAnalysis;
using System.Text;
using Bakong.Khqr.Hashing;
using PlatformMd5 = System.Security.Cryptography.MD5;

namespace Bakong.Khqr.Tests;

// KHQR prescribes MD5 as a payload identifier; the platform MD5 is only the reference the managed one is checked against.
[SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "Reference implementation for the KHQR-mandated MD5.")]
public sealed class Md5Tests
{
    private const int Seed = 20_251_127;

    // RFC 1321, appendix A.5 ("test suite").
    [Theory]
    [InlineData("", "d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("a", "0cc175b9c0f1b6a831c399e269772661")]
    [InlineData("abc", "900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("message digest", "f96b697d7cb7938d525a2f31aaf161d0")]
    [InlineData("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f")]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a")]
    public void Rfc1321_test_suite_hashes_match_the_appendix(string message, string expectedHex)
    {
        var bytes = Encoding.ASCII.GetBytes(message);

        Assert.Equal(expectedHex, Md5.HashToLowerHex(bytes));

        Span<byte> hash = stackalloc byte[Md5.HashSizeInBytes];
        Md5.HashData(bytes, hash);
        Assert.Equal(expectedHex, Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void Every_length_from_0_to_1024_matches_the_platform_md5()
    {
        var buffer = RandomBytes(1024);
        Span<byte> expected = stackalloc byte[Md5.HashSizeInBytes];
        Span<byte> actual = stackalloc byte[Md5.HashSizeInBytes];

        for (var length = 0; length <= buffer.Length; length++)
        {
            ReadOnlySpan<byte> message = buffer.AsSpan(0, length);
            PlatformMd5.HashData(message, expected);
            Md5.HashData(message, actual);

            Assert.True(expected.SequenceEqual(actual), $"length {length}: expected {Convert.ToHexStringLower(expected)}, got {Convert.ToHexStringLower(actual)}");
        }
    }

    [Fact]
    public void Every_length_at_an_unaligned_offset_matches_the_platform_md5()
    {
        var buffer = RandomBytes(1 + 300);
        Span<byte> expected = stackalloc byte[Md5.HashSizeInBytes];
        Span<byte> actual = stackalloc byte[Md5.HashSizeInBytes];

        for (var length = 0; length <= 300; length++)
        {
            ReadOnlySpan<byte> message = buffer.AsSpan(1, length);
            PlatformMd5.HashData(message, expected);
            Md5.HashData(message, actual);

            Assert.True(expected.SequenceEqual(actual), $"length {length} at offset 1");
        }
    }

    [Theory]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(119)]
    [InlineData(120)]
    [InlineData(127)]
    [InlineData(128)]
    public void Lengths_around_block_boundaries_match_the_platform_md5(int length)
    {
        var message = RandomBytes(length);

        Assert.Equal(Convert.ToHexStringLower(PlatformMd5.HashData(message)), Md5.HashToLowerHex(message));
    }

    [Fact]
    public void A_one_mebibyte_buffer_matches_the_platform_md5()
    {
        var message = RandomBytes(1 << 20);

        Assert.Equal(Convert.ToHexStringLower(PlatformMd5.HashData(message)), Md5.HashToLowerHex(message));
    }

    // Expected values computed independently (Python hashlib) from the UTF-8 bytes.
    [Theory]
    [InlineData("ព្រះរាជាណាចក្រកម្ពុជា", "273672ac9f0a92ef425fea64012c498d")]
    [InlineData("ហាងកាហ្វេ ភ្នំពេញ", "c529882dc6be1319818c618222e05069")]
    public void Utf8_khmer_text_hashes_to_the_known_digest(string text, string expectedHex)
    {
        var bytes = Encoding.UTF8.GetBytes(text);

        Assert.Equal(expectedHex, Md5.HashToLowerHex(bytes));
        Assert.Equal(Convert.ToHexStringLower(PlatformMd5.HashData(bytes)), Md5.HashToLowerHex(bytes));
    }

    [Fact]
    public void A_khqr_like_payload_with_khmer_merchant_name_matches_the_platform_md5()
    {
        const string Payload =
            "00020101021229180014dev_bakong@devb5204599953031165802KH5913Coffee Shop 16010Phnom Penh"
            + "6434" + "0002km0109ហាងកាហ្វេ0211ភ្នំពេញ"
            + "99170013176400000000063040000";
        var bytes = Encoding.UTF8.GetBytes(Payload);

        Assert.Equal(Convert.ToHexStringLower(PlatformMd5.HashData(bytes)), Md5.HashToLowerHex(bytes));
    }

    [Fact]
    public void Hash_to_lower_hex_returns_32_lowercase_hex_characters()
    {
        var hex = Md5.HashToLowerHex(RandomBytes(200));

        Assert.Equal(2 * Md5.HashSizeInBytes, hex.Length);
        Assert.All(hex, ch => Assert.True(char.IsAsciiHexDigitLower(ch), $"'{ch}'"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    public void Destination_shorter_than_16_bytes_throws_argument_exception(int destinationLength)
    {
        var source = RandomBytes(10);
        var destination = new byte[destinationLength];

        var exception = Assert.ThrowsAny<ArgumentException>(() => Md5.HashData(source, destination));

        Assert.Equal("destination", exception.ParamName);
    }

    [Fact]
    public void Destination_longer_than_16_bytes_gets_only_its_first_16_bytes_written()
    {
        var source = RandomBytes(200);
        var destination = new byte[24];
        destination.AsSpan().Fill(0xAA);

        Md5.HashData(source, destination);

        Assert.Equal(PlatformMd5.HashData(source), destination[..Md5.HashSizeInBytes]);
        Assert.All(destination[Md5.HashSizeInBytes..], b => Assert.Equal(0xAA, b));
    }

    private static byte[] RandomBytes(int length)
    {
        // xorshift32: deterministic across runtimes, and no analyzer question about System.Random.
        var bytes = new byte[length];
        uint state = Seed;
        for (var i = 0; i < bytes.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            bytes[i] = (byte)(state >> 24);
        }

        return bytes;
    }
}
