using System.Text;
using Bakong.Display.Protocol;
using CsCheck;

namespace Bakong.Display.Tests;

public sealed class CodecTests
{
    [Fact]
    public void Crc32c_of_123456789_is_the_castagnoli_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Crc32c_matches_the_bitwise_definition_at_every_length()
    {
        Gen.Byte.Array[0, 700].Sample(data => Assert.Equal(BitwiseCrc32C(data), Crc32C.Compute(data)));
    }

    [Theory]
    [InlineData("00", "0101")]
    [InlineData("0000", "010101")]
    [InlineData("00110000", "01021101 01")]
    [InlineData("11220033", "03112202 33")]
    [InlineData("11223344", "0511223344")]
    [InlineData("11000000", "02110101 01")]
    public void Cobs_encodes_the_published_examples(string decoded, string encoded)
    {
        var source = Convert.FromHexString(decoded);
        var expected = Convert.FromHexString(encoded.Replace(" ", "", StringComparison.Ordinal));
        var buffer = new byte[Cobs.MaxEncodedLength(source.Length)];
        Assert.Equal(expected, buffer.AsSpan(0, Cobs.Encode(source, buffer)).ToArray());
        var back = new byte[expected.Length];
        Assert.True(Cobs.TryDecode(expected, back, out var written));
        Assert.Equal(source, back.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void Cobs_254_byte_run_takes_one_code_byte_and_255_takes_two()
    {
        var run254 = Enumerable.Range(1, 254).Select(i => (byte)i).ToArray();
        var buffer = new byte[300];
        var n = Cobs.Encode(run254, buffer);
        Assert.Equal(255, n);
        Assert.Equal(0xFF, buffer[0]);

        var run255 = Enumerable.Range(1, 255).Select(i => (byte)i).ToArray();
        n = Cobs.Encode(run255, buffer);
        Assert.Equal(257, n);
        Assert.Equal([0xFF, 0x02, 0xFF], [buffer[0], buffer[255], buffer[256]]);
    }

    [Fact]
    public void Cobs_round_trips_any_bytes_and_never_emits_zero()
    {
        Gen.Byte.Array[0, 1300].Sample(data =>
        {
            var encoded = new byte[Cobs.MaxEncodedLength(data.Length)];
            var n = Cobs.Encode(data, encoded);
            Assert.DoesNotContain((byte)0, encoded.AsSpan(0, n).ToArray());
            var decoded = new byte[n];
            Assert.True(Cobs.TryDecode(encoded.AsSpan(0, n), decoded, out var written));
            Assert.Equal(data, decoded.AsSpan(0, written).ToArray());
        });
    }

    [Fact]
    public void A_frame_round_trips_through_the_streaming_decoder_byte_by_byte()
    {
        var genFrame = Gen.Select(Gen.Byte, Gen.Byte[0, 3], Gen.Byte, Gen.Byte.Array[0, FrameCodec.MaxPayload]);
        genFrame.Sample((type, flags, seq, payload) =>
        {
            var wire = FrameCodec.Encode((MessageType)type, (FrameOptions)flags, seq, payload);
            Assert.True(wire.Length <= FrameCodec.MaxWire);
            DecoderAssert.DeliversOneFrame(wire, type, flags, seq, payload);
        });
    }

    [Fact]
    public void Random_garbage_never_throws_and_the_next_valid_frame_is_delivered()
    {
        var valid = FrameCodec.Encode(MessageType.Ping, FrameOptions.AckRequested, 7, []);
        Gen.Byte.Array[0, 2000].Sample(garbage =>
        {
            var decoder = new FrameDecoder();
            foreach (var b in garbage)
            {
                decoder.Push(b, out _);
            }

            var delivered = 0;
            foreach (var b in valid)
            {
                if (decoder.Push(b, out var frame))
                {
                    delivered++;
                    Assert.Equal((MessageType.Ping, (byte)7), (frame.MessageType, frame.Seq));
                }
            }

            Assert.Equal(1, delivered);
        });
    }

    [Fact]
    public void A_flipped_bit_is_never_delivered_as_a_frame()
    {
        var payload = new ShowIdleMessage("Coffee", "Welcome").ToPayload();
        var wire = FrameCodec.Encode(MessageType.ShowIdle, FrameOptions.AckRequested, 1, payload);
        Gen.Select(Gen.Int[1, wire.Length - 2], Gen.Int[0, 7]).Sample((at, bit) =>
        {
            var copy = (byte[])wire.Clone();
            copy[at] ^= (byte)(1 << bit);
            var decoder = new FrameDecoder();
            var delivered = 0;
            foreach (var b in copy)
            {
                delivered += decoder.Push(b, out _) ? 1 : 0;
            }

            Assert.Equal(0, delivered);
        });
    }

    [Fact]
    public void Bytes_beyond_the_largest_frame_are_dropped_as_too_long_until_the_next_delimiter()
    {
        var decoder = new FrameDecoder();
        foreach (var b in Enumerable.Repeat((byte)0x41, 2000))
        {
            decoder.Push(b, out _);
        }

        var delivered = 0;
        foreach (var b in FrameCodec.Encode(MessageType.Ping, FrameOptions.AckRequested, 9, []))
        {
            delivered += decoder.Push(b, out _) ? 1 : 0;
        }

        Assert.Equal((1, 1L), (delivered, decoder.ErrorsOf(FrameError.TooLong)));
    }

    [Fact]
    public void Messages_round_trip_with_khmer_text_and_ignore_appended_fields()
    {
        DisplayMessage[] messages =
        [
            new HelloMessage(1, 0, 1_772_355_600_000, 1000, 3000, "gateway"),
            new ShowIdleMessage("ហាងកាហ្វេ", ""),
            new ShowQrMessage("pay_01", 5000, 116, 0, 1_772_355_900_000, 300, "ហាងកាហ្វេ", new string('Q', 512)),
            new SetStatusMessage("pay_01", DisplayStatus.Paid, "Thank you"),
            new SetConfigMessage(80, null, 1),
            new BeepMessage(2, 1),
            new HelloAckMessage(1, 0, 0xDEADBEEF, 640, 1, "1.0.0", "emu", "0001"),
            new PongMessage(7, 1234, DisplayScreenKind.Qr),
            new StateMessage(DisplayScreenKind.Status, DisplayStatus.Paid, 0, "pay_01"),
            new AckMessage(AckResult.BadState, 0x12),
            new BootMessage(42, 1, "1.0.0", "emu"),
            new StateChangedMessage(DisplayScreenKind.Qr, DisplayStatus.Waiting, 299, "pay_01", StateChangedMessage.Rendered),
            new LogMessage(1, "hello"),
        ];
        foreach (var message in messages)
        {
            var payload = message.ToPayload();
            Assert.Equal(AckResult.Ok, DisplayMessages.TryRead((byte)message.Type, payload, out var back));
            Assert.Equal(message, back);
            if (message is not SetConfigMessage)
            {
                // SET_CONFIG is entries to the payload end: a newer host appends whole entries, not bytes.
                Assert.Equal(AckResult.Ok, DisplayMessages.TryRead((byte)message.Type, [.. payload, 0xAB, 0xCD], out var extended));
                Assert.Equal(message, extended);
            }
        }
    }

    [Fact]
    public void A_string_length_past_the_payload_end_or_over_its_limit_is_bad_payload()
    {
        Assert.Equal(AckResult.BadPayload, DisplayMessages.TryRead((byte)MessageType.ShowIdle, [5, (byte)'a'], out _));
        var tooLongId = new byte[] { 33 }.Concat(Encoding.ASCII.GetBytes(new string('p', 33))).Concat(new byte[] { 1, 0 }).ToArray();
        Assert.Equal(AckResult.BadPayload, DisplayMessages.TryRead((byte)MessageType.SetStatus, tooLongId, out _));
        Assert.Equal(AckResult.UnknownType, DisplayMessages.TryRead(0x7E, [], out _));
    }

    [Fact]
    public void Unpacking_arbitrary_payloads_never_throws()
    {
        Gen.Select(Gen.Byte, Gen.Byte.Array[0, 700]).Sample((type, payload) =>
        {
            var result = DisplayMessages.TryRead(type, payload, out var message);
            Assert.Equal(result == AckResult.Ok, message is not null);
        });
    }

    private static uint BitwiseCrc32C(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
