using Bakong.Display.Protocol;

namespace Bakong.Display.Tests;

/// <summary>The C# codec against the shared vectors that the C reference implementation generates.</summary>
public sealed class VectorTests
{
    private const string Frames = "frames.txt";
    private const string Messages = "messages.txt";
    private const string Messages11 = "messages-1.1.txt";
    private const string Mac = "mac.txt";

    public static TheoryData<string> FrameNames => VectorFiles.Names(Frames, "frame");

    public static TheoryData<string> RejectNames => VectorFiles.Names(Frames, "reject");

    public static TheoryData<string> StreamNames => VectorFiles.Names(Frames, "stream");

    public static TheoryData<string> MessageNames => VectorFiles.Names(Messages, "message");

    public static TheoryData<string> ExtendedMessageNames => VectorFiles.Names(Messages, "message-ext");

    public static TheoryData<string> BadMessageNames => VectorFiles.Names(Messages, "bad-message");

    public static TheoryData<string> MessageNames11 => VectorFiles.Names(Messages11, "message");

    public static TheoryData<string> ExtendedMessageNames11 => VectorFiles.Names(Messages11, "message-ext");

    public static TheoryData<string> BadMessageNames11 => VectorFiles.Names(Messages11, "bad-message");

    public static TheoryData<string> Sha256Names => VectorFiles.Names(Mac, "sha256");

    public static TheoryData<string> HmacNames => VectorFiles.Names(Mac, "hmac-sha256");

    public static TheoryData<string> TaggedNames => VectorFiles.Names(Mac, "tagged");

    public static TheoryData<string> TagRejectedNames => VectorFiles.Names(Mac, "tag-rejected");

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
    public void A_message_vector_unpacks_to_its_fields_and_packs_back_to_its_payload(string name) => MessageRoundTrips(Messages, name);

    [Theory]
    [MemberData(nameof(MessageNames11))]
    public void A_v1_1_message_vector_unpacks_to_its_fields_and_packs_back_to_its_payload(string name) => MessageRoundTrips(Messages11, name);

    [Theory]
    [MemberData(nameof(ExtendedMessageNames11))]
    public void A_v1_2_peers_payload_unpacks_to_the_v1_1_fields_and_ignores_the_rest(string name) => ExtendedMessageUnpacks(Messages11, name);

    [Theory]
    [MemberData(nameof(BadMessageNames11))]
    public void A_v1_1_bad_message_vector_is_refused_with_its_result(string name) => BadMessageIsRefused(Messages11, name);

    [Theory]
    [MemberData(nameof(Sha256Names))]
    public void A_sha256_vector_hashes_to_its_digest(string name)
    {
        var t = VectorFiles.Record(Mac, "sha256", name);

        Assert.Equal(t[3], Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(VectorFiles.Hex(t[2]))));
    }

    [Theory]
    [MemberData(nameof(HmacNames))]
    public void An_hmac_sha256_vector_gives_its_mac(string name)
    {
        var t = VectorFiles.Record(Mac, "hmac-sha256", name);
        var mac = System.Security.Cryptography.HMACSHA256.HashData(VectorFiles.Hex(t[2]), VectorFiles.Hex(t[3]));

        Assert.Equal(t[4], Convert.ToHexStringLower(mac)[..t[4].Length]);
    }

    [Theory]
    [MemberData(nameof(TaggedNames))]
    public void A_tagged_vector_gets_its_trailer_and_a_device_with_the_key_accepts_it(string name)
    {
        var t = VectorFiles.Record(Mac, "tagged", name);
        var (type, key, bootId, counter, payload, tagged) = (VectorFiles.Byte(t[2]), VectorFiles.Hex(t[3]), uint.Parse(t[4], System.Globalization.CultureInfo.InvariantCulture),
            uint.Parse(t[5], System.Globalization.CultureInfo.InvariantCulture), VectorFiles.Hex(t[6]), VectorFiles.Hex(t[7]));

        Assert.Equal(Convert.ToHexStringLower(tagged), Convert.ToHexStringLower(QrMac.Append(key, bootId, (MessageType)type, payload, counter)));
        Assert.True(QrMac.TryVerify(key, bootId, type, tagged, counter - 1, out var accepted, out var fields));
        Assert.Equal((counter, payload.Length), (accepted, fields));
        Assert.False(QrMac.TryVerify(key, bootId, type, tagged, counter, out _, out _)); // a counter not above the last
    }

    [Theory]
    [MemberData(nameof(TagRejectedNames))]
    public void A_rejected_trailer_vector_is_refused(string name)
    {
        var t = VectorFiles.Record(Mac, "tag-rejected", name);

        Assert.False(QrMac.TryVerify(VectorFiles.Hex(t[3]), uint.Parse(t[4], System.Globalization.CultureInfo.InvariantCulture), VectorFiles.Byte(t[2]), VectorFiles.Hex(t[5]), 0, out _, out _));
    }

    private static void MessageRoundTrips(string file, string name)
    {
        var t = VectorFiles.Record(file, "message", name);
        var (type, payload, fields) = (VectorFiles.Byte(t[2]), VectorFiles.Hex(t[3]), t[4..]);

        Assert.Equal(AckResult.Ok, DisplayMessages.TryRead(type, payload, out var message));
        Assert.Equal(fields, MessageFields.Of(message!));
        Assert.Equal(Convert.ToHexStringLower(payload), Convert.ToHexStringLower(MessageFields.Build(type, fields).ToPayload()));
    }

    [Theory]
    [MemberData(nameof(ExtendedMessageNames))]
    public void A_newer_peers_payload_unpacks_to_the_known_fields_and_ignores_the_rest(string name) => ExtendedMessageUnpacks(Messages, name);

    private static void ExtendedMessageUnpacks(string file, string name)
    {
        var t = VectorFiles.Record(file, "message-ext", name);
        var (type, payload, fields) = (VectorFiles.Byte(t[2]), VectorFiles.Hex(t[3]), t[4..]);

        Assert.Equal(AckResult.Ok, DisplayMessages.TryRead(type, payload, out var message));
        Assert.Equal(fields, MessageFields.Of(file == Messages ? AsV10(message!) : message!));
        var packed = MessageFields.Build(type, fields).ToPayload();
        Assert.True(packed.Length < payload.Length);
        Assert.Equal(Convert.ToHexStringLower(payload.AsSpan(0, packed.Length)), Convert.ToHexStringLower(packed));
    }

    [Theory]
    [MemberData(nameof(BadMessageNames))]
    public void A_bad_message_vector_is_refused_with_its_result(string name) => BadMessageIsRefused(Messages, name);

    /// <summary>
    /// What a v1.0 peer reads (messages.txt is written that way): without the v1.1 groups, which a newer peer's appended
    /// bytes would otherwise fill.
    /// </summary>
    private static DisplayMessage AsV10(DisplayMessage message) => message switch
    {
        HelloAckMessage m => m with { MacCounter = null },
        StateMessage m => m with { Counters = null },
        _ => message,
    };

    private static void BadMessageIsRefused(string file, string name)
    {
        var t = VectorFiles.Record(file, "bad-message", name);
        var expected = Enum.Parse<AckResult>(t[4].Replace("_", "", StringComparison.Ordinal), ignoreCase: true);

        Assert.Equal(expected, DisplayMessages.TryRead(VectorFiles.Byte(t[2]), VectorFiles.Hex(t[3]), out var message));
        Assert.Null(message);
    }
}
