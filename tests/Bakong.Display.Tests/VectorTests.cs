using Bakong.Display.Protocol;

namespace Bakong.Display.Tests;

/// <summary>The C# codec against the shared vectors that the C reference implementation generates.</summary>
public sealed class VectorTests
{
    private const string Frames = "frames.txt";
    private const string Messages = "messages.txt";

    public static TheoryData<string> FrameNames => VectorFiles.Names(Frames, "frame");

    public static TheoryData<string> RejectNames => VectorFiles.Names(Frames, "reject");

    public static TheoryData<string> StreamNames => VectorFiles.Names(Frames, "stream");

    public static TheoryData<string> MessageNames => VectorFiles.Names(Messages, "message");

    public static TheoryData<string> ExtendedMessageNames => VectorFiles.Names(Messages, "message-ext");

    public static TheoryData<string> BadMessageNames => VectorFiles.Names(Messages, "bad-message");

    [Theory]
    [MemberData(nameof(FrameNames))]
    public void A_frame_vector_encodes_to_its_wire_bytes_and_decodes_back(string name)
    {
        var t = VectorFiles.Record(Frames, "frame", name);
        var (type, flags, seq, payload, wire) = (VectorFiles.Byte(t[2]), VectorFiles.Byte(t[3]), VectorFiles.Byte(t[4]), VectorFiles.Hex(t[5]), VectorFiles.Hex(t[6]));

        var encoded = new byte[FrameCodec.MaxWire];
        var n = FrameCodec.Encode(FrameCodec.ProtocolVersion, type, (FrameOptions)flags, seq, payload, encoded);
        Assert.Equal(Convert.ToHexStringLower(wire), Convert.ToHexStringLower(encoded.AsSpan(0, n)));

        DecoderAssert.DeliversOneFrame(wire, type, flags, seq, payload);
    }

    [Theory]
    [MemberData(nameof(RejectNames))]
    public void A_reject_vector_delivers_nothing_and_counts_its_one_error(string name)
    {
        var t = VectorFiles.Record(Frames, "reject", name);
        var expected = Enum.Parse<FrameError>(t[3].Replace("_", "", StringComparison.Ordinal), ignoreCase: true);
        var decoder = new FrameDecoder();
        foreach (var b in VectorFiles.Hex(t[2]))
        {
            Assert.False(decoder.Push(b, out _));
        }

        Assert.Equal((1L, 1L), (decoder.Errors, decoder.ErrorsOf(expected)));
    }

    [Theory]
    [MemberData(nameof(StreamNames))]
    public void A_stream_vector_delivers_its_frames_and_counts_its_errors(string name)
    {
        var t = VectorFiles.Record(Frames, "stream", name);
        var decoder = new FrameDecoder();
        var delivered = 0;
        foreach (var b in VectorFiles.Hex(t[2]))
        {
            delivered += decoder.Push(b, out _) ? 1 : 0;
        }

        Assert.Equal((int.Parse(t[3], System.Globalization.CultureInfo.InvariantCulture), long.Parse(t[4], System.Globalization.CultureInfo.InvariantCulture)), (delivered, decoder.Errors));
    }

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void A_message_vector_unpacks_to_its_fields_and_packs_back_to_its_payload(string name)
    {
        var t = VectorFiles.Record(Messages, "message", name);
        var (type, payload, fields) = (VectorFiles.Byte(t[2]), VectorFiles.Hex(t[3]), t[4..]);

        Assert.Equal(AckResult.Ok, DisplayMessages.TryRead(type, payload, out var message));
        Assert.Equal(fields, MessageFields.Of(message!));
        Assert.Equal(Convert.ToHexStringLower(payload), Convert.ToHexStringLower(MessageFields.Build(type, fields).ToPayload()));
    }

    [Theory]
    [MemberData(nameof(ExtendedMessageNames))]
    public void A_newer_peers_payload_unpacks_to_the_known_fields_and_ignores_the_rest(string name)
    {
        var t = VectorFiles.Record(Messages, "message-ext", name);
        var (type, payload, fields) = (VectorFiles.Byte(t[2]), VectorFiles.Hex(t[3]), t[4..]);

        Assert.Equal(AckResult.Ok, DisplayMessages.TryRead(type, payload, out var message));
        Assert.Equal(fields, MessageFields.Of(message!));
        var packed = MessageFields.Build(type, fields).ToPayload();
        Assert.True(packed.Length < payload.Length);
        Assert.Equal(Convert.ToHexStringLower(payload.AsSpan(0, packed.Length)), Convert.ToHexStringLower(packed));
    }

    [Theory]
    [MemberData(nameof(BadMessageNames))]
    public void A_bad_message_vector_is_refused_with_its_result(string name)
    {
        var t = VectorFiles.Record(Messages, "bad-message", name);
        var expected = Enum.Parse<AckResult>(t[4].Replace("_", "", StringComparison.Ordinal), ignoreCase: true);

        Assert.Equal(expected, DisplayMessages.TryRead(VectorFiles.Byte(t[2]), VectorFiles.Hex(t[3]), out var message));
        Assert.Null(message);
    }
}
