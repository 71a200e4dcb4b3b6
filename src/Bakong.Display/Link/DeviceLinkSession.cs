using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Bakong.Display.Protocol;

namespace Bakong.Display.Link;

/// <summary>
/// The device side of the link, as the firmware does it (one boot of one device): BOOT repeated until HELLO, every
/// request answered at once (HELLO_ACK, PONG, STATE, or ACK with a result), duplicates answered from the response cache
/// and not executed again, STATE_CHANGED after rendering, and a local countdown that shows EXPIRED when the link is lost.
/// Used by the emulator and the tests.
/// </summary>
public sealed class DeviceLinkSession : IDisposable
{
    private readonly Channel<LinkInput> _inbox = Channel.CreateUnbounded<LinkInput>(new UnboundedChannelOptions { SingleReader = true });
    private readonly FrameDecoder _decoder = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<MessageType, int> _executed = new();
    private readonly DeviceIdentity _identity;
    private readonly DeviceLinkOptions _options;
    private readonly TimeProvider _clock;
    private readonly DateTimeOffset _started;
    private SequenceCounter _seq;
    private bool _helloSeen;
    private DateTimeOffset _nextBoot;
    private byte? _lastSeq;
    private byte _lastType;
    private byte[]? _cachedResponse;
    private PendingEvent? _event;
    private DateTimeOffset _lastHostFrame;
    private bool _expiredReportPending;
    private DeviceScreen _screen = DeviceScreen.Blank;
    private TimeSpan _linkTimeout;

    public DeviceLinkSession(DeviceIdentity identity, DeviceLinkOptions options, TimeProvider clock)
    {
        _identity = identity;
        _options = options;
        _clock = clock;
        _started = clock.GetUtcNow();
        _linkTimeout = options.LinkTimeout;
        BootId = options.BootId != 0 ? options.BootId : RandomBootId();
    }

    public uint BootId { get; }

    public DeviceScreen Screen => Volatile.Read(ref _screen);

    /// <summary>Raised on the session's loop after every change of <see cref="Screen"/>.</summary>
    public event Action<DeviceScreen>? ScreenChanged;

    /// <summary>How many times each request type was executed (duplicates are answered but not counted).</summary>
    public int ExecutedCount(MessageType type) => _executed.GetValueOrDefault(type);

    public long FramesDropped => _decoder.Errors;

    public async Task RunAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var timer = _clock.CreateTimer(_ => _inbox.Writer.TryWrite(LinkInput.TickInput), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var reader = Task.Run(() => FramePump.ReadAsync(stream, _decoder, _inbox.Writer, stop.Token), CancellationToken.None);
        _lastHostFrame = _clock.GetUtcNow();
        try
        {
            await SendBootAsync(stream, stop.Token).ConfigureAwait(false);
            while (true)
            {
                Arm(timer);
                var input = await _inbox.Reader.ReadAsync(stop.Token).ConfigureAwait(false);
                switch (input)
                {
                    case LinkInput.Frame frame:
                        await OnFrameAsync(stream, frame.Value, stop.Token).ConfigureAwait(false);
                        break;
                    case LinkInput.Tick:
                        await OnTickAsync(stream, stop.Token).ConfigureAwait(false);
                        break;
                    case LinkInput.StreamEnded:
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void Arm(ITimer timer)
    {
        var due = DateTimeOffset.MaxValue;
        if (!_helloSeen)
        {
            due = _nextBoot;
        }

        if (_event is { } e)
        {
            due = Min(due, e.Deadline);
        }

        if (!_screen.Offline)
        {
            due = Min(due, _lastHostFrame + _linkTimeout);
        }

        if (_screen is { Kind: DisplayScreenKind.Qr, CountdownEnd: { } end })
        {
            due = Min(due, end);
        }

        if (due == DateTimeOffset.MaxValue)
        {
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var wait = due - _clock.GetUtcNow();
        timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }

    private async ValueTask OnTickAsync(Stream stream, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        if (!_helloSeen && now >= _nextBoot)
        {
            await SendBootAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        if (_event is { } e && now >= e.Deadline)
        {
            if (e.Retries >= _options.MaxRetransmits)
            {
                _event = null; // an event the host never ACKed is given up silently
            }
            else
            {
                e.Retries++;
                e.Deadline = now + _options.Rto;
                await WriteAsync(stream, e.Wire, cancellationToken).ConfigureAwait(false);
            }
        }

        if (!_screen.Offline && now - _lastHostFrame >= _linkTimeout)
        {
            Render(_screen with { Offline = true });
        }

        if (_screen is { Kind: DisplayScreenKind.Qr, CountdownEnd: { } end } && now >= end)
        {
            // The display never infers an outcome: its own countdown ended, so the QR is no longer payable here.
            Render(_screen with { Kind = DisplayScreenKind.Status, Status = DisplayStatus.Expired, CountdownEnd = null });
            if (_screen.Offline || !_helloSeen)
            {
                _expiredReportPending = true;
            }
            else
            {
                await SendStateChangedAsync(stream, StateChangedMessage.ExpiredLocally, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask OnFrameAsync(Stream stream, ReceivedFrame frame, CancellationToken cancellationToken)
    {
        _lastHostFrame = _clock.GetUtcNow();
        if (_screen.Offline)
        {
            Render(_screen with { Offline = false });
        }

        if (frame.IsResponse)
        {
            if (_event is { } e && e.Seq == frame.Seq && frame.MessageType == MessageType.Ack)
            {
                _event = null;
            }
        }
        else if (frame.AckRequested)
        {
            await OnRequestAsync(stream, frame, cancellationToken).ConfigureAwait(false);
        }
        else if (frame.Version == FrameCodec.ProtocolVersion && frame.Type < (byte)MessageType.HelloAck
            && DisplayMessages.TryRead(frame.Type, frame.Payload, out var unanswered) == AckResult.Ok)
        {
            // A known command sent without ACK_REQUESTED: executed, not answered (SPEC §5.2).
            await ExecuteAsync(stream, unanswered!, _clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        if (_expiredReportPending && !_screen.Offline && _helloSeen)
        {
            _expiredReportPending = false;
            await SendStateChangedAsync(stream, StateChangedMessage.ExpiredLocally, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask OnRequestAsync(Stream stream, ReceivedFrame frame, CancellationToken cancellationToken)
    {
        if (frame.Version != FrameCodec.ProtocolVersion)
        {
            await RespondAsync(stream, frame, new AckMessage(AckResult.UnsupportedVersion, frame.Type), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (frame.MessageType == MessageType.Hello)
        {
            _lastSeq = null;
            _cachedResponse = null;
        }
        else if (_cachedResponse is not null && _lastSeq == frame.Seq && _lastType == frame.Type)
        {
            // A retransmit of the request just executed (its answer was lost): answer again, do not execute again.
            await SendResponseAsync(stream, _cachedResponse, cancellationToken).ConfigureAwait(false);
            return;
        }

        var result = DisplayMessages.TryRead(frame.Type, frame.Payload, out var message);
        var now = _clock.GetUtcNow();
        DisplayMessage response = message switch
        {
            HelloMessage { ProtoMajor: not FrameCodec.ProtocolVersion } => new AckMessage(AckResult.UnsupportedVersion, frame.Type),
            HelloMessage => new HelloAckMessage(FrameCodec.ProtocolVersion, 0, BootId, FrameCodec.MaxHeaderAndPayload, 0b1011, _identity.FirmwareVersion, _identity.Model, _identity.Serial),
            EmptyMessage { Kind: MessageType.Ping } => new PongMessage(BootId, (uint)(now - _started).TotalMilliseconds, _screen.Kind),
            EmptyMessage { Kind: MessageType.GetState } => new StateMessage(_screen.Kind, _screen.Status, _screen.SecondsLeft(now), _screen.PaymentId),
            SetStatusMessage status when status.PaymentId != _screen.PaymentId || _screen.Kind is not (DisplayScreenKind.Qr or DisplayScreenKind.Status)
                => new AckMessage(AckResult.BadState, frame.Type),
            SetStatusMessage { Status: DisplayStatus.Waiting } when _screen.Kind == DisplayScreenKind.Status
                => new AckMessage(AckResult.BadState, frame.Type), // the QR is gone: the host sends SHOW_QR
            null => new AckMessage(result, frame.Type),
            _ when message.Type >= MessageType.HelloAck => new AckMessage(AckResult.UnknownType, frame.Type),
            _ => new AckMessage(AckResult.Ok, frame.Type),
        };

        // Answer first (before drawing), and keep the answer for a retransmit of this very request.
        var wire = FrameCodec.Encode(response.Type, FrameOptions.Response, frame.Seq, response.ToPayload());
        _lastSeq = frame.Seq;
        _lastType = frame.Type;
        _cachedResponse = wire;
        await SendResponseAsync(stream, wire, cancellationToken).ConfigureAwait(false);
        if (response is AckMessage { Result: not AckResult.Ok })
        {
            return;
        }

        if (message is not null)
        {
            _executed.AddOrUpdate(message.Type, 1, (_, n) => n + 1);
            await ExecuteAsync(stream, message, now, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask ExecuteAsync(Stream stream, DisplayMessage message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case HelloMessage hello:
                // Stops the BOOT repetition and an unacknowledged BOOT; a lost-link report may go out now.
                _helloSeen = true;
                if (_event?.Type == MessageType.Boot)
                {
                    _event = null;
                }

                if (hello.LinkTimeoutMs > 0)
                {
                    _linkTimeout = TimeSpan.FromMilliseconds(hello.LinkTimeoutMs);
                }

                return;
            case ShowIdleMessage idle:
                Render(DeviceScreen.Blank with { Kind = DisplayScreenKind.Idle, MerchantName = idle.MerchantName, Line2 = idle.Line2 });
                break;
            case ShowQrMessage qr when _screen.Kind == DisplayScreenKind.Qr && _screen.PaymentId == qr.PaymentId:
                Render(_screen with { CountdownEnd = now + TimeSpan.FromSeconds(qr.SecondsLeft) });
                return;
            case ShowQrMessage qr:
                Render(DeviceScreen.Blank with
                {
                    Kind = DisplayScreenKind.Qr, PaymentId = qr.PaymentId, AmountMinor = qr.AmountMinor, Currency = qr.Currency,
                    Exponent = qr.Exponent, MerchantName = qr.MerchantName, Qr = qr.Qr, Status = DisplayStatus.Waiting,
                    CountdownEnd = now + TimeSpan.FromSeconds(qr.SecondsLeft),
                });
                break;
            case SetStatusMessage { Status: DisplayStatus.Waiting }:
                return;
            case SetStatusMessage status:
                Render(_screen with { Kind = DisplayScreenKind.Status, Status = status.Status, Message = status.Message, CountdownEnd = null });
                break;
            case EmptyMessage { Kind: MessageType.Clear }:
                Render(DeviceScreen.Blank with { Kind = DisplayScreenKind.Idle });
                break;
            default:
                return;
        }

        // A screen command makes a pending or unacknowledged expired_locally report stale (SPEC §11.3).
        _expiredReportPending = false;
        if (_helloSeen)
        {
            await SendStateChangedAsync(stream, StateChangedMessage.Rendered, cancellationToken).ConfigureAwait(false);
        }
        else if (_event?.Type == MessageType.StateChanged)
        {
            _event = null;
        }
    }

    private void Render(DeviceScreen screen)
    {
        Volatile.Write(ref _screen, screen);
        ScreenChanged?.Invoke(screen);
    }

    private ValueTask SendBootAsync(Stream stream, CancellationToken cancellationToken)
    {
        _nextBoot = _clock.GetUtcNow() + _options.BootRepeat;
        return SendEventAsync(stream, new BootMessage(BootId, _options.ResetReason, _identity.FirmwareVersion, _identity.Model), cancellationToken);
    }

    private ValueTask SendStateChangedAsync(Stream stream, byte reason, CancellationToken cancellationToken) =>
        SendEventAsync(
            stream,
            new StateChangedMessage(_screen.Kind, _screen.Status, _screen.SecondsLeft(_clock.GetUtcNow()), _screen.PaymentId, reason),
            cancellationToken);

    private async ValueTask SendEventAsync(Stream stream, DisplayMessage message, CancellationToken cancellationToken)
    {
        // One event in flight: a newer one replaces it (the host wants the latest state, not the history).
        var seq = _seq.Next();
        var wire = FrameCodec.Encode(message.Type, FrameOptions.AckRequested, seq, message.ToPayload());
        _event = new PendingEvent(seq, message.Type, wire) { Deadline = _clock.GetUtcNow() + _options.Rto };
        await WriteAsync(stream, wire, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask RespondAsync(Stream stream, ReceivedFrame request, DisplayMessage response, CancellationToken cancellationToken) =>
        SendResponseAsync(stream, FrameCodec.Encode(response.Type, FrameOptions.Response, request.Seq, response.ToPayload()), cancellationToken);

    private async ValueTask SendResponseAsync(Stream stream, byte[] wire, CancellationToken cancellationToken)
    {
        if (_options.AckDelay <= TimeSpan.Zero)
        {
            await WriteAsync(stream, wire, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The timer starts now, on the loop, so the answer leaves exactly AckDelay after the request was handled.
        var delay = Task.Delay(_options.AckDelay, _clock, cancellationToken);
        _ = SendLaterAsync(stream, wire, delay, cancellationToken);
    }

    private async Task SendLaterAsync(Stream stream, byte[] wire, Task delay, CancellationToken cancellationToken)
    {
        try
        {
            await delay.ConfigureAwait(false);
            await WriteAsync(stream, wire, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The session ended while the answer waited.
        }
    }

    private async ValueTask WriteAsync(Stream stream, byte[] wire, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void Dispose() => _writeLock.Dispose();

    private static uint RandomBootId()
    {
        uint id;
        do
        {
            id = (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        }
        while (id == 0);
        return id;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private sealed class PendingEvent(byte seq, MessageType type, byte[] wire)
    {
        public byte Seq { get; } = seq;

        public MessageType Type { get; } = type;

        public byte[] Wire { get; } = wire;

        public int Retries { get; set; }

        public DateTimeOffset Deadline { get; set; }
    }
}
