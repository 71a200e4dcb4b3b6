using System.Text;
using Bakong.Khqr.Hashing;

namespace Bakong.Khqr.Tests;

public sealed class Crc16Tests
{
    [Fact]
    public void Check_value_of_123456789_is_29B1()
    {
        Assert.Equal(0x29B1, Crc16.Compute("123456789"u8));
    }

    [Fact]
    public void Sliced_tables_agree_with_the_bitwise_definition_for_every_length_up_to_600_bytes()
    {
        var random = new Random(2026);
        var data = new byte[600];
        random.NextBytes(data);
        for (var length = 0; length <= data.Length; length++)
        {
            Assert.Equal(Bitwise(data.AsSpan(0, length)), Crc16.Compute(data.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Crc_is_over_utf8_bytes_and_written_as_four_upper_case_hex_digits()
    {
        Span<char> hex = stackalloc char[4];
        Crc16.WriteHex(Crc16.Compute(Encoding.UTF8.GetBytes("5908ចន ស្មីន6304")), hex);

        Assert.Equal(Bitwise(Encoding.UTF8.GetBytes("5908ចន ស្មីន6304")).ToString("X4", System.Globalization.CultureInfo.InvariantCulture), hex.ToString());
    }

    [Fact]
    public void Crc_of_text_agrees_with_the_bitwise_definition_for_every_length_up_to_600_characters()
    {
        var random = new Random(116);
        var text = new string(Enumerable.Range(0, 600).Select(_ => (char)random.Next(' ', '~' + 1)).ToArray());
        for (var length = 0; length <= text.Length; length++)
        {
            Assert.Equal(Bitwise(Encoding.UTF8.GetBytes(text[..length])), Crc16.ComputeUtf8(text.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Crc_of_text_longer_than_one_encoding_chunk_equals_the_crc_of_its_utf8_bytes()
    {
        // Khmer is three UTF-8 bytes a character, so 300 characters cross several 256-byte chunks mid-character;
        // the emoji pair puts a surrogate pair at varying offsets.
        var text = string.Concat(Enumerable.Repeat("ភ្នំពេញ😀a", 40));
        for (var length = 0; length <= text.Length; length += 7)
        {
            var part = text[..length];
            Assert.Equal(Bitwise(Encoding.UTF8.GetBytes(part)), Crc16.ComputeUtf8(part));
        }
    }

    private static ushort Bitwise(ReadOnlySpan<byte> data)
    {
        ushort crc = 0xFFFF;
        foreach (var b in data)
        {
            crc ^= (ushort)(b << 8);
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc;
    }
}
