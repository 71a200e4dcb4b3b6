using System.IO.Pipelines;
using System.Threading.Channels;
using Bakong.Display.Link;
using Bakong.Display.Protocol;

namespace Bakong.Display.Tests.Link;

/// <summary>A full-duplex in-memory stream: reads one pipe, writes another.</summary>
internal sealed class DuplexStream(Stream read, Stream write) : Stream
{
    public static (Stream A, Stream B) CreatePair()
    {
        var ab = new Pipe();
        var ba = new Pipe();
        return (new DuplexStream(ba.Reader.AsStream(), ab.Writer.AsStream()), new DuplexStream(ab.Reader.AsStream(), ba.Writer.AsStream()));
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => read.ReadAsync(buffer, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => write.WriteAsync(buffer, cancellationToken);

    public override Task FlushAsync(CancellationToken cancellationToken) => write.FlushAsync(cancellationToken);

    public override void Flush() => write.Flush();

    public override int Read(byte[] buffer, int offset, int count) => read.Read(buffer, offset, count);

    public override void Write(byte[] buffer, int offset, int count) => write.Write(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            read.Dispose();
            write.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A frame as it crossed the wire: its exact bytes and what they decode to.</summary>
internal sealed record WireFrame(byte[] Wire, ReceivedFrame Frame)
{
    public DisplayMessage Message
    {
        get
        {
            Assert.Equal(AckResult.Ok, DisplayMessages.TryRead(Frame.Type, Frame.Payload, out var message));
            return message!;
        }
    }
}

/// <summary>Reads a stream frame by frame (keeping each frame's wire bytes) into a channel.</summary>
internal static class FrameTap
{
    public static async Task RunAsync(Stream from, Func<WireFrame, ValueTask> onFrame, CancellationToken cancellationToken)
    {
        var buffer = new byte[512];
        var current = new List<byte>();
        var decoder = new FrameDecoder();
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    return;
                }

                for (var i = 0; i < n; i++)
                {
                    current.Add(buffer[i]);
                    if (decoder.Push(buffer[i], out var frame))
                    {
                        // current holds the encoded bytes and their closing delimiter; the wire form leads with one too.
                        await onFrame(new WireFrame([0, .. current], new ReceivedFrame(frame.Version, frame.Type, frame.Flags, frame.Seq, frame.Payload.ToArray())));
                    }

                    if (buffer[i] == 0)
                    {
                        current.Clear();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>The test playing the other end of a link by hand: frames it received, frames it sends.</summary>
internal sealed class ScriptedPeer : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly Channel<WireFrame> _received = Channel.CreateUnbounded<WireFrame>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _tap;

    public ScriptedPeer(Stream stream)
    {
        _stream = stream;
        _tap = FrameTap.RunAsync(stream, f => _received.Writer.WriteAsync(f), _stop.Token);
    }

    public async Task<WireFrame> NextAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        return await _received.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    public async Task<WireFrame> NextAsync(MessageType type)
    {
        while (true)
        {
            var frame = await NextAsync();
            if (frame.Frame.MessageType == type)
            {
                return frame;
            }
        }
    }

    public bool TryNext(out WireFrame? frame) => _received.Reader.TryRead(out frame);

    public async Task SendAsync(DisplayMessage message, FrameOptions options, byte seq)
    {
        await _stream.WriteAsync(FrameCodec.Encode(message.Type, options, seq, message.ToPayload()), TestContext.Current.CancellationToken);
        await _stream.FlushAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Writes many encoded frames in one go (a flood), as fast as the stream takes them.</summary>
    public async Task SendAllAsync(IEnumerable<byte[]> frames)
    {
        await _stream.WriteAsync(frames.SelectMany(f => f).ToArray(), TestContext.Current.CancellationToken);
        await _stream.FlushAsync(TestContext.Current.CancellationToken);
    }

    public Task RespondAsync(WireFrame request, DisplayMessage response) => SendAsync(response, FrameOptions.Response, request.Frame.Seq);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _tap;
        _stop.Dispose();
    }
}

/// <summary>Host and device sessions joined through a relay that records every frame and can drop chosen ones.</summary>
internal sealed class RelayedLink : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];

    public RelayedLink(Func<WireFrame, bool>? dropToDevice = null, Func<WireFrame, bool>? dropToHost = null)
    {
        var (host, hostSide) = DuplexStream.CreatePair();
        var (deviceSide, device) = DuplexStream.CreatePair();
        HostStream = host;
        DeviceStream = device;
        _tasks.Add(FrameTap.RunAsync(hostSide, f => Forward(f, deviceSide, ToDevice, dropToDevice), _stop.Token));
        _tasks.Add(FrameTap.RunAsync(deviceSide, f => Forward(f, hostSide, ToHost, dropToHost), _stop.Token));
    }

    public Stream HostStream { get; }

    public Stream DeviceStream { get; }

    public Channel<WireFrame> ToDevice { get; } = Channel.CreateUnbounded<WireFrame>();

    public Channel<WireFrame> ToHost { get; } = Channel.CreateUnbounded<WireFrame>();

    public static async Task<WireFrame> NextAsync(Channel<WireFrame> channel, MessageType type)
    {
        var ct = TestContext.Current.CancellationToken;
        while (true)
        {
            var frame = await channel.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
            if (frame.Frame.MessageType == type)
            {
                return frame;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_tasks);
        _stop.Dispose();
    }

    private async ValueTask Forward(WireFrame frame, Stream to, Channel<WireFrame> log, Func<WireFrame, bool>? drop)
    {
        await log.Writer.WriteAsync(frame);
        if (drop?.Invoke(frame) == true)
        {
            return;
        }

        await to.WriteAsync(frame.Wire, _stop.Token);
        await to.FlushAsync(_stop.Token);
    }
}

/// <summary>
/// A link session started on one end of an in-memory link, with a <see cref="ScriptedPeer"/> (the test) on the other:
/// the one way the session tests start a host or a device. Disposing stops the session and waits for it.
/// </summary>
internal sealed class PeerLink<TEnd> : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;

    private PeerLink(ScriptedPeer peer, Task<TEnd> run, CancellationTokenSource stop)
    {
        Peer = peer;
        Run = run;
        _stop = stop;
    }

    public ScriptedPeer Peer { get; }

    /// <summary>The session's run: how it ended.</summary>
    public Task<TEnd> Run { get; }

    public static PeerLink<TEnd> Start(Func<Stream, CancellationToken, Task<TEnd>> session)
    {
        var (sessionStream, peerStream) = DuplexStream.CreatePair();
        var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        return new PeerLink<TEnd>(new ScriptedPeer(peerStream), session(sessionStream, stop.Token), stop);
    }

    /// <summary>Stops the session (shutdown) and returns how it ended.</summary>
    public async Task<TEnd> StopAsync()
    {
        await _stop.CancelAsync();
        return await Run;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await ((Task)Run).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Peer.DisposeAsync();
        _stop.Dispose();
    }
}

/// <summary>Starts a <see cref="PeerLink{TEnd}"/> for a host or a device session.</summary>
internal static class PeerLink
{
    public static PeerLink<LinkEnd> Host(HostLinkSession session) => PeerLink<LinkEnd>.Start(session.RunAsync);

    public static PeerLink<bool> Device(DeviceLinkSession device) => PeerLink<bool>.Start(async (stream, stop) =>
    {
        await device.RunAsync(stream, stop);
        return true;
    });
}
