using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Display.Tests.Link;

/// <summary>What a device can send the host that it must not trust: a refusal of its version, more bytes than it handles.</summary>
public sealed class HostLinkInputTests
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_device_that_refuses_version_1_is_reported_as_refusing_version_1_not_as_speaking_version_0()
    {
        var controller = new DisplayController("POS-01");
        var logger = new FakeLogger();
        var link = new HostLink(controller, new HostLinkOptions(), new FakeTimeProvider(s_start), logger, outcomes: null);
        link.Start(s_start);
        Assert.True(link.TryTakeOutput(out var hello));

        link.Receive(FrameCodec.Encode(MessageType.Ack, FrameOptions.Response, SeqOf(hello), new AckMessage(AckResult.UnsupportedVersion, (byte)MessageType.Hello).ToPayload()), s_start);

        var status = controller.Status;
        Assert.Equal(DisplayLinkState.Incompatible, status.State);
        Assert.Equal("the display refused protocol version 1 (UNSUPPORTED_VERSION)", status.LastError);
        var record = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Error);
        Assert.Equal("DisplayVersionRefused", record.Id.Name);
        Assert.DoesNotContain("version 0", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_that_speaks_another_major_version_is_reported_with_the_version_it_sent()
    {
        var controller = new DisplayController("POS-01");
        var link = new HostLink(controller, new HostLinkOptions(), new FakeTimeProvider(s_start), NullLogger.Instance, outcomes: null);
        link.Start(s_start);
        Assert.True(link.TryTakeOutput(out _));

        link.Receive(FrameCodec.Encode(MessageType.Boot, FrameOptions.AckRequested, 1, new BootMessage(0x1234, 0, "fw", "model").ToPayload(), version: 7), s_start);

        Assert.Equal((DisplayLinkState.Incompatible, "incompatible protocol version 7"), (controller.Status.State, controller.Status.LastError));
    }

    [Fact]
    public async Task A_device_that_writes_faster_than_the_host_handles_is_not_read_further_until_the_host_catches_up()
    {
        var clock = new FakeTimeProvider(s_start);
        var port = new FloodingPort();
        var session = new HostLinkSession(new DisplayController("POS-01"), new HostLinkOptions(), clock, clock, NullLogger.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = session.RunAsync(port, stop.Token);

        // The session's loop is stuck writing its HELLO; the device keeps writing. The inbox fills, then the read loop waits.
        await port.WriteStarted.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await port.ReadsReached(LinkInbox.Capacity + 1).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        port.ReleaseWrite();

        // Once the loop handles what waits, the port is read again.
        await port.ReadsReached(4 * LinkInbox.Capacity).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        Assert.Equal(LinkEnd.Cancelled, await run);
        Assert.Equal(0, port.ReadsWhileWriteBlockedPastTheBound);
    }

    private static byte SeqOf(byte[] wire)
    {
        var decoder = new FrameDecoder();
        foreach (var b in wire)
        {
            if (decoder.Push(b, out var frame))
            {
                return frame.Seq;
            }
        }

        throw new InvalidOperationException("no frame");
    }

    /// <summary>
    /// A port whose device writes without pause (noise: no frame, no delimiter) and whose first write blocks until the
    /// test releases it. Counts the reads made while that write was blocked beyond the inbox's bound.
    /// </summary>
    private sealed class FloodingPort : Stream
    {
        private readonly TaskCompletionSource _writeStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CountSignal _reads = new();
        private volatile bool _released;
        private int _pastTheBound;

        public Task WriteStarted => _writeStarted.Task;

        public int ReadsWhileWriteBlockedPastTheBound => Volatile.Read(ref _pastTheBound);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void ReleaseWrite()
        {
            _released = true;
            _release.TrySetResult();
        }

        public Task ReadsReached(int count) => _reads.ReachedAsync(count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            buffer.Span.Fill(0x55);
            if (_reads.Increment() > LinkInbox.Capacity + 1 && !_released)
            {
                Interlocked.Increment(ref _pastTheBound);
            }

            return ValueTask.FromResult(buffer.Length);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _writeStarted.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
