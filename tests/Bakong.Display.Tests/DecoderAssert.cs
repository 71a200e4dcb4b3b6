using Bakong.Display.Protocol;

namespace Bakong.Display.Tests;

internal static class DecoderAssert
{
    /// <summary>Fed <paramref name="wire"/> one byte at a time, a fresh decoder delivers exactly this one frame and counts no error.</summary>
    public static void DeliversOneFrame(byte[] wire, byte type, byte flags, byte seq, byte[] payload)
    {
        var decoder = new FrameDecoder();
        var delivered = 0;
        foreach (var b in wire)
        {
            if (decoder.Push(b, out var frame))
            {
                delivered++;
                Assert.Equal((FrameCodec.ProtocolVersion, type, flags, seq), (frame.Version, frame.Type, (byte)frame.Flags, frame.Seq));
                Assert.Equal(payload, frame.Payload.ToArray());
            }
        }

        Assert.Equal((1, 0L), (delivered, decoder.Errors));
    }
}
