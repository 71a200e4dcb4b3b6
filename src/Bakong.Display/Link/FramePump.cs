using System.Threading.Channels;
using Bakong.Display.Protocol;

namespace Bakong.Display.Link;

/// <summary>A valid frame, copied out of the decoder's buffer so another loop can handle it.</summary>
public sealed record ReceivedFrame(byte Version, byte Type, FrameOptions Flags, byte Seq, byte[] Payload)
{
    public MessageType MessageType => (MessageType)Type;

    public bool AckRequested => (Flags & FrameOptions.AckRequested) != 0;

    public bool IsResponse => (Flags & FrameOptions.Response) != 0;
}

/// <summary>What a session's loop reacts to: bytes from the stream, a timer, a change from outside, the end of the stream.</summary>
internal abstract record LinkInput
{
    /// <summary>Bytes as read; the loop decodes them, so the decoder and its counters belong to the loop alone.</summary>
    public sealed record Bytes(byte[] Value) : LinkInput;

    public sealed record Tick : LinkInput;

    public sealed record Changed : LinkInput;

    public sealed record StreamEnded(Exception? Error) : LinkInput;

    public static readonly Tick TickInput = new();
    public static readonly Changed ChangedInput = new();
}

/// <summary>The one read loop over a stream: its bytes into the session's inbox, then the end of the stream.</summary>
internal static class FramePump
{
    public static async Task ReadAsync(Stream stream, ChannelWriter<LinkInput> inbox, CancellationToken cancellationToken)
    {
        var buffer = new byte[512];
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                inbox.TryWrite(new LinkInput.Bytes(buffer.AsSpan(0, read).ToArray()));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException or TimeoutException)
        {
            // An unplugged serial port surfaces as ObjectDisposedException("The port is closed."), not IOException.
            error = e;
        }

        inbox.TryWrite(new LinkInput.StreamEnded(error));
    }
}

/// <summary>Sequence numbers for requests: 1..255, wrapping past 0 (0 is never a sequenced frame).</summary>
internal struct SequenceCounter
{
    private byte _last;

    public byte Next()
    {
        _last = _last == byte.MaxValue ? (byte)1 : (byte)(_last + 1);
        return _last;
    }
}
