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

    /// <summary>An operator's command was queued on the controller (<see cref="DisplayController.TrySubmit"/>).</summary>
    public sealed record Command : LinkInput;

    public sealed record StreamEnded(Exception? Error) : LinkInput;

    public static readonly Tick TickInput = new();
    public static readonly Changed ChangedInput = new();
    public static readonly Command CommandInput = new();
}

/// <summary>
/// A session's inbox: what the read loop reads, and the timer's and the controller's signals, in arrival order. It holds
/// at most <see cref="Capacity"/> inputs (at most 32 KiB of device bytes): when it is full the read loop waits before
/// it reads the stream again, so a device that writes faster than the session handles its bytes fills the serial
/// driver's buffer, not the gateway's memory (past that the port drops bytes; CRC and retransmission recover, SPEC.md
/// §4, §5). A tick, a desired-screen change or a queued command that finds it full is not lost: it is kept as a flag
/// and handed out before the next input.
/// </summary>
internal sealed class LinkInbox
{
    /// <summary>Inputs held at the most; a read is at most 512 bytes.</summary>
    internal const int Capacity = 64;

    private const int TickMissed = 1;
    private const int ChangeMissed = 2;
    private const int CommandMissed = 4;

    private readonly Channel<LinkInput> _channel = Channel.CreateBounded<LinkInput>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private int _missed;

    /// <summary>The read loop's side: <see cref="ChannelWriter{T}.WriteAsync"/> waits while the inbox is full.</summary>
    public ChannelWriter<LinkInput> Writer => _channel.Writer;

    /// <summary>A timer tick, a desired-screen change or a queued command; never waits, never lost (several of a kind may become one).</summary>
    public void Signal(LinkInput signal)
    {
        if (!_channel.Writer.TryWrite(signal))
        {
            Interlocked.Or(ref _missed, signal switch
            {
                LinkInput.Tick => TickMissed,
                LinkInput.Command => CommandMissed,
                _ => ChangeMissed,
            });
        }
    }

    public ValueTask<LinkInput> ReadAsync(CancellationToken cancellationToken)
    {
        // A signal that found the inbox full goes first: the inbox was full, so the loop was behind anyway.
        var missed = Volatile.Read(ref _missed);
        if ((missed & ChangeMissed) != 0)
        {
            Interlocked.And(ref _missed, ~ChangeMissed);
            return ValueTask.FromResult<LinkInput>(LinkInput.ChangedInput);
        }

        if ((missed & CommandMissed) != 0)
        {
            Interlocked.And(ref _missed, ~CommandMissed);
            return ValueTask.FromResult<LinkInput>(LinkInput.CommandInput);
        }

        if ((missed & TickMissed) != 0)
        {
            Interlocked.And(ref _missed, ~TickMissed);
            return ValueTask.FromResult<LinkInput>(LinkInput.TickInput);
        }

        return _channel.Reader.ReadAsync(cancellationToken);
    }
}

/// <summary>The one read loop over a stream: its bytes into the session's inbox (waiting while it is full), then the end of the stream.</summary>
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

                await inbox.WriteAsync(new LinkInput.Bytes(buffer.AsSpan(0, read).ToArray()), cancellationToken).ConfigureAwait(false);
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

        try
        {
            await inbox.WriteAsync(new LinkInput.StreamEnded(error), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The session is stopping anyway.
        }
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
