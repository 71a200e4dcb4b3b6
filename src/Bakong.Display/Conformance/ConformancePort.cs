using System.Threading.Channels;
using Bakong.Display.Link;
using Bakong.Display.Protocol;

namespace Bakong.Display.Conformance;

/// <summary>A frame the device wrote, with when it arrived.</summary>
internal sealed record Arrived(ReceivedFrame Frame, DisplayMessage? Message, long Timestamp);

/// <summary>What a device answered to a request, how long it took from the request's last byte, and when it arrived.</summary>
internal sealed record Answered(ReceivedFrame Frame, DisplayMessage Message, TimeSpan Latency, long At);

/// <summary>
/// The conformance check's side of the port: a read loop that decodes everything the device writes (counting what is
/// not a frame) and ACKs its events unless told not to, and requests sent one at a time with the answer waited for.
/// </summary>
internal sealed class ConformancePort : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _answerTimeout;
    private readonly Channel<Arrived> _arrived = Channel.CreateUnbounded<Arrived>();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly FrameDecoder _decoder = new();
    private readonly Task _reader;
    private readonly List<Arrived> _log = [];
    private readonly Lock _logLock = new();
    private byte _seq;
    private volatile bool _ackEvents = true;

    public ConformancePort(Stream stream, TimeProvider clock, TimeSpan answerTimeout)
    {
        _stream = stream;
        _clock = clock;
        _answerTimeout = answerTimeout;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Whether events (BOOT, STATE_CHANGED) are ACKed as they arrive, as a host does.</summary>
    public bool AckEvents
    {
        get => _ackEvents;
        set => _ackEvents = value;
    }

    /// <summary>Candidates the host's decoder dropped: bytes from the device that were not frames.</summary>
    public long Drops
    {
        get
        {
            lock (_logLock)
            {
                return _decoder.Errors;
            }
        }
    }

    public long Now => _clock.GetTimestamp();

    /// <summary>Every frame so far, in order.</summary>
    public IReadOnlyList<Arrived> Log
    {
        get
        {
            lock (_logLock)
            {
                return [.. _log];
            }
        }
    }

    public TimeSpan Elapsed(long from, long to) => _clock.GetElapsedTime(from, to);

    /// <summary>The next frame within <paramref name="timeout"/>, or null.</summary>
    public async Task<Arrived?> NextAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The read itself is cancelled at the timeout: a read left pending would take the next frame from whoever reads next.
        using var expiry = new CancellationTokenSource(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero, _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
        try
        {
            return await _arrived.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Frames that arrive within <paramref name="window"/>.</summary>
    public async Task<List<Arrived>> CollectAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        var end = Now + (long)(window.TotalSeconds * _clock.TimestampFrequency);
        var frames = new List<Arrived>();
        while (Now < end)
        {
            if (await NextAsync(_clock.GetElapsedTime(Now, end), cancellationToken).ConfigureAwait(false) is { } frame)
            {
                frames.Add(frame);
            }
        }

        return frames;
    }

    /// <summary>Forgets what arrived and was not read yet.</summary>
    public void Drain()
    {
        while (_arrived.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>The next seq of this host (1–255, then 1 again).</summary>
    public byte NextSeq() => _seq = _seq == byte.MaxValue ? (byte)1 : (byte)(_seq + 1);

    /// <summary>Sends <paramref name="message"/> with the next seq and waits for its answer; other frames on the way are returned too.</summary>
    public Task<(Answered? Answer, List<Arrived> Others)> RequestAsync(DisplayMessage message, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        RequestAsync(FrameCodec.Encode(message.Type, FrameOptions.AckRequested, NextSeq(), message.ToPayload()), cancellationToken, timeout);

    /// <summary>Sends these wire bytes (one request) and waits for the answer to its seq.</summary>
    public async Task<(Answered? Answer, List<Arrived> Others)> RequestAsync(byte[] wire, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var seq = SeqOf(wire);
        var sent = await WriteAsync(wire, cancellationToken).ConfigureAwait(false);
        var end = sent + (long)((timeout ?? _answerTimeout).TotalSeconds * _clock.TimestampFrequency);
        var others = new List<Arrived>();
        while (Now < end)
        {
            if (await NextAsync(_clock.GetElapsedTime(Now, end), cancellationToken).ConfigureAwait(false) is not { } arrived)
            {
                break;
            }

            if (arrived.Frame.IsResponse && arrived.Frame.Seq == seq && arrived.Message is { } message)
            {
                return (new Answered(arrived.Frame, message, _clock.GetElapsedTime(sent, arrived.Timestamp), arrived.Timestamp), others);
            }

            others.Add(arrived);
        }

        return (null, others);
    }

    /// <summary>Writes bytes; returns when the last byte left (as far as the port tells).</summary>
    public async Task<long> WriteAsync(byte[] wire, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
            return Now;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _writeLock.Dispose();
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

        throw new ArgumentException("not one frame", nameof(wire));
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[512];
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }

                var at = Now;
                var frames = new List<Arrived>();
                lock (_logLock)
                {
                    for (var i = 0; i < n; i++)
                    {
                        if (_decoder.Push(buffer[i], out var frame))
                        {
                            var received = new ReceivedFrame(frame.Version, frame.Type, frame.Flags, frame.Seq, frame.Payload.ToArray());
                            DisplayMessages.TryRead(frame.Type, frame.Payload, out var message);
                            var arrived = new Arrived(received, message is null ? null : DeviceText.Clean(message), at);
                            _log.Add(arrived);
                            frames.Add(arrived);
                        }
                    }
                }

                foreach (var arrived in frames)
                {
                    if (_ackEvents && arrived.Frame.AckRequested && !arrived.Frame.IsResponse
                        && arrived.Frame.MessageType is MessageType.Boot or MessageType.StateChanged)
                    {
                        var ack = new AckMessage(AckResult.Ok, arrived.Frame.Type);
                        await WriteAsync(FrameCodec.Encode(MessageType.Ack, FrameOptions.Response, arrived.Frame.Seq, ack.ToPayload()), _stop.Token).ConfigureAwait(false);
                    }

                    _arrived.Writer.TryWrite(arrived);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException or TimeoutException)
        {
            // The run ended, or the port went away: the checks see no more frames.
        }
    }
}
