using System.Threading.Channels;
using Bakong.Display.Protocol;
using Microsoft.Extensions.Logging;

namespace Bakong.Display.Link;

/// <summary>Why a <see cref="HostLinkSession"/> ended.</summary>
public enum LinkEnd
{
    /// <summary>The caller cancelled (shutdown).</summary>
    Cancelled = 0,

    /// <summary>The stream ended or faulted (an unplugged port).</summary>
    StreamFailed = 1,

    /// <summary>No valid frame from the device for the link timeout.</summary>
    Unresponsive = 2,
}

/// <summary>
/// The host side of one display link over an open duplex stream: HELLO handshake, stop-and-wait requests (one in
/// flight, RTO, 3 retransmits, a newer screen supersedes an unacknowledged one), PING when idle, link down after the
/// retransmits (→ HELLO again) or on silence (→ the session ends), BOOT or a new boot id → HELLO and the whole desired
/// screen again; device events are ACKed.
/// </summary>
/// <remarks>
/// Everything runs on one loop fed by a channel (frames from the read loop, timer ticks, desired-screen changes), so
/// the state needs no locks and the stream has one writer. Timers come from <paramref name="linkClock"/>;
/// <paramref name="wallClock"/> turns a QR's absolute expiry into the seconds left at each send. The session ends when
/// the stream fails or the device goes silent, so the transport can reopen the port; the controller keeps the desired
/// screen for the next session.
/// </remarks>
public sealed class HostLinkSession(
    DisplayController controller, HostLinkOptions options, TimeProvider linkClock, TimeProvider wallClock, ILogger logger)
{
    private readonly Channel<LinkInput> _inbox = Channel.CreateUnbounded<LinkInput>(new UnboundedChannelOptions { SingleReader = true });
    private readonly FrameDecoder _decoder = new();
    private SequenceCounter _seq;
    private Outstanding? _outstanding;
    private bool _helloDone;
    private bool _incompatible;
    private uint? _bootId;
    private DesiredScreen? _shown;
    private DisplayStatus _shownStatus;
    private DateTimeOffset _lastSent;
    private DateTimeOffset _lastReceived;
    private long _errorsReported;
    private int _mtu = FrameCodec.MaxHeaderAndPayload;

    private string TerminalId => controller.TerminalId;

    /// <summary>Runs the link until the stream fails, the device goes silent, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task<LinkEnd> RunAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var timer = linkClock.CreateTimer(_ => _inbox.Writer.TryWrite(LinkInput.TickInput), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        using var listening = controller.ListenForDesired(() => _inbox.Writer.TryWrite(LinkInput.ChangedInput));
        var reader = Task.Run(() => FramePump.ReadAsync(stream, _decoder, _inbox.Writer, stop.Token), CancellationToken.None);
        _lastReceived = linkClock.GetUtcNow();
        SetStatus(s => s with { State = DisplayLinkState.Connecting, LastError = null });
        try
        {
            await SendHelloAsync(stream, stop.Token).ConfigureAwait(false);
            while (true)
            {
                ArmTimer(timer);
                var input = await _inbox.Reader.ReadAsync(stop.Token).ConfigureAwait(false);
                var end = input switch
                {
                    LinkInput.Frame frame => await OnFrameAsync(stream, frame.Value, stop.Token).ConfigureAwait(false),
                    LinkInput.Tick => await OnTickAsync(stream, stop.Token).ConfigureAwait(false),
                    LinkInput.Changed => await SendNextAsync(stream, stop.Token).ConfigureAwait(false),
                    LinkInput.StreamEnded ended => Fail(LinkEnd.StreamFailed, ended.Error?.Message ?? "the stream ended"),
                    _ => null,
                };
                PublishDrops();
                if (end is { } result)
                {
                    return result;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return LinkEnd.Cancelled;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException or OperationCanceledException or TimeoutException)
        {
            // A write failed or timed out (OperationCanceledException from the write timeout): the port is dead.
            return Fail(LinkEnd.StreamFailed, e.Message)!.Value;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private LinkEnd? Fail(LinkEnd end, string reason)
    {
        if (MayLog(LogLevel.Warning))
        {
            DisplayLog.Offline(logger, TerminalId, reason);
        }

        SetStatus(s => s with { State = DisplayLinkState.Offline, LastError = reason });
        return end;
    }

    private void ArmTimer(ITimer timer)
    {
        var now = linkClock.GetUtcNow();
        // An incompatible device is left alone: no heartbeat, so no silence to time out either.
        var due = _incompatible ? DateTimeOffset.MaxValue : _lastReceived + options.LinkTimeout;
        if (_outstanding is { } o)
        {
            due = Min(due, o.Deadline);
        }
        else if (_helloDone && !_incompatible)
        {
            due = Min(due, _lastSent + options.Heartbeat);
        }

        if (due == DateTimeOffset.MaxValue)
        {
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var wait = due - now;
        timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }

    private async ValueTask<LinkEnd?> OnTickAsync(Stream stream, CancellationToken cancellationToken)
    {
        var now = linkClock.GetUtcNow();
        if (!_incompatible && now - _lastReceived >= options.LinkTimeout)
        {
            return Fail(LinkEnd.Unresponsive, $"no valid frame for {options.LinkTimeout.TotalSeconds:0.#} s");
        }

        if (_outstanding is { } o && now >= o.Deadline)
        {
            if (o.Busy)
            {
                // SPEC §7: after BUSY the request is tried again as a new request (new seq). The same bytes would be a
                // duplicate, which the device answers from its cache (BUSY again) without executing it.
                _outstanding = null;
                if (o.Type == MessageType.Hello)
                {
                    await SendHelloAsync(stream, cancellationToken).ConfigureAwait(false);
                    return null;
                }

                return await SendNextAsync(stream, cancellationToken).ConfigureAwait(false);
            }

            if (o.Retries >= options.MaxRetransmits)
            {
                // The link is down. A noisy line still passes some frames, so the port stays open: handshake again
                // and send the whole screen; only silence past the link timeout (or a dead stream) ends the session.
                var reason = $"{o.Type} seq {o.Seq} unanswered after {o.Retries} retransmits";
                if (MayLog(LogLevel.Warning))
                {
                    DisplayLog.Offline(logger, TerminalId, reason);
                }

                SetStatus(s => s with { State = DisplayLinkState.Offline, LastError = reason });
                await SendHelloAsync(stream, cancellationToken).ConfigureAwait(false);
                return null;
            }

            o.Retries++;
            if (MayLog(LogLevel.Debug))
            {
                DisplayLog.Retransmit(logger, TerminalId, o.Type, o.Seq, o.Retries);
            }

            SetStatus(s => s with { Retransmits = s.Retransmits + 1 });
            await WriteAsync(stream, o.Wire, cancellationToken).ConfigureAwait(false);
            o.Deadline = linkClock.GetUtcNow() + options.RtoFor(o.Wire.Length, o.Type);
            return null;
        }

        if (_outstanding is null && _helloDone && !_incompatible && now - _lastSent >= options.Heartbeat)
        {
            await SendRequestAsync(stream, new EmptyMessage(MessageType.Ping), key: null, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private async ValueTask<LinkEnd?> OnFrameAsync(Stream stream, ReceivedFrame frame, CancellationToken cancellationToken)
    {
        var now = linkClock.GetUtcNow();
        _lastReceived = now;
        SetStatus(s => s with { LastFrameTime = now });
        if (frame.Version != FrameCodec.ProtocolVersion)
        {
            // A request from another major version is refused (and tells us the device is not ours to operate);
            // a response from one is ignored, never answered.
            if (frame.AckRequested && !frame.IsResponse)
            {
                await RespondAsync(stream, frame, new AckMessage(AckResult.UnsupportedVersion, frame.Type), cancellationToken).ConfigureAwait(false);
                MarkIncompatible(frame.Version);
            }

            return null;
        }

        var result = DisplayMessages.TryRead(frame.Type, frame.Payload, out var read);
        var message = read is null ? null : DeviceText.Clean(read); // from here on, the device's text is safe to log and show
        if (frame.IsResponse)
        {
            if (result == AckResult.Ok && _outstanding is { } o && o.Seq == frame.Seq)
            {
                return await OnResponseAsync(stream, o, message!, cancellationToken).ConfigureAwait(false);
            }

            return null; // a late answer to a superseded or retransmitted request
        }

        if (!frame.AckRequested)
        {
            if (message is LogMessage log && MayLog(LogLevel.Information))
            {
                DisplayLog.DeviceLog(logger, TerminalId, log.Level, log.Text);
            }

            return null;
        }

        // A device event: ACK it at once (a retransmitted event is ACKed again; acting on it twice is harmless).
        var ackResult = result == AckResult.Ok && message is not (BootMessage or StateChangedMessage) ? AckResult.UnknownType : result;
        await RespondAsync(stream, frame, new AckMessage(ackResult, frame.Type), cancellationToken).ConfigureAwait(false);
        switch (message)
        {
            case BootMessage boot:
                if (_bootId != boot.BootId || !_helloDone)
                {
                    if (MayLog(LogLevel.Information))
                    {
                        DisplayLog.Rebooted(logger, TerminalId, boot.BootId, boot.ResetReason);
                    }

                    // At most one HELLO in flight: a flood of BOOTs costs one ACK each, and the whole screen follows
                    // only the device's HELLO_ACK, once per handshake.
                    if (_helloDone || _incompatible || _outstanding?.Type != MessageType.Hello)
                    {
                        await SendHelloAsync(stream, cancellationToken).ConfigureAwait(false);
                    }
                }

                break;
            case StateChangedMessage changed:
                if (MayLog(LogLevel.Debug))
                {
                    DisplayLog.DeviceState(logger, TerminalId, changed.Screen, changed.Status, changed.PaymentId, changed.Reason);
                }

                SetStatus(s => s with { DeviceScreen = changed.Screen, DeviceStatus = changed.Status, DevicePaymentId = changed.PaymentId });
                break;
        }

        return null;
    }

    private async ValueTask<LinkEnd?> OnResponseAsync(Stream stream, Outstanding request, DisplayMessage message, CancellationToken cancellationToken)
    {
        var now = linkClock.GetUtcNow();
        switch (message)
        {
            case HelloAckMessage hello when request.Type == MessageType.Hello:
                _outstanding = null;
                if (hello.ProtoMajor != FrameCodec.ProtocolVersion)
                {
                    MarkIncompatible(hello.ProtoMajor);
                    return null;
                }

                _helloDone = true;
                _incompatible = false;
                _bootId = hello.BootId;
                _mtu = Math.Min((int)hello.Mtu, FrameCodec.MaxHeaderAndPayload);
                _shown = null;
                _shownStatus = DisplayStatus.None;
                if (MayLog(LogLevel.Information))
                {
                    DisplayLog.Online(logger, TerminalId, hello.BootId, hello.FwVersion, hello.Model, hello.Serial, hello.Mtu);
                }

                SetStatus(s => s with
                {
                    State = DisplayLinkState.Online, BootId = hello.BootId, FirmwareVersion = hello.FwVersion, Model = hello.Model,
                    Serial = hello.Serial, LastAckTime = now, LastError = null,
                });
                break;
            case PongMessage pong when request.Type == MessageType.Ping:
                _outstanding = null;
                SetStatus(s => s with { LastAckTime = now, DeviceScreen = s.DeviceScreen ?? pong.Screen });
                if (pong.BootId != _bootId)
                {
                    // The device rebooted between two heartbeats and its BOOT got lost.
                    if (MayLog(LogLevel.Information))
                    {
                        DisplayLog.Rebooted(logger, TerminalId, pong.BootId, 0);
                    }

                    await SendHelloAsync(stream, cancellationToken).ConfigureAwait(false);
                    return null;
                }

                break;
            case AckMessage ack when ack.AckedType == (byte)request.Type:
                if (ack.Result == AckResult.Busy)
                {
                    request.Busy = true; // tried again as a new request after the RTO
                    request.Deadline = now + options.RtoFor(request.Wire.Length, request.Type);
                    return null;
                }

                _outstanding = null;
                SetStatus(s => s with { LastAckTime = now });
                Acknowledged(request, ack.Result);
                break;
            default:
                return null;
        }

        return await SendNextAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    private void Acknowledged(Outstanding request, AckResult result)
    {
        // SPEC §7: a result code this host does not know (7–255, from a newer device) is handled as BAD_STATE.
        if (!Enum.IsDefined(result))
        {
            result = AckResult.BadState;
        }

        if (result == AckResult.UnsupportedVersion)
        {
            MarkIncompatible(0);
            return;
        }

        if (result is not AckResult.Ok && MayLog(LogLevel.Warning))
        {
            DisplayLog.Nak(logger, TerminalId, request.Type, result);
        }

        switch (request.Key)
        {
            case IdleScreen idle:
                _shown = idle;
                _shownStatus = DisplayStatus.None;
                break;
            case QrScreen qr when request.Type == MessageType.ShowQr:
                _shown = qr;
                _shownStatus = DisplayStatus.Waiting;
                break;
            case QrScreen qr when request.Type == MessageType.SetStatus:
                if (result == AckResult.BadState)
                {
                    _shown = null; // the device does not show that QR (it rebooted, or expired it): send it whole
                }
                else
                {
                    _shownStatus = qr.Status;
                }

                break;
        }
    }

    private void MarkIncompatible(int major)
    {
        _incompatible = true;
        _helloDone = false;
        _outstanding = null;
        if (MayLog(LogLevel.Error))
        {
            DisplayLog.Incompatible(logger, TerminalId, major);
        }

        SetStatus(s => s with { State = DisplayLinkState.Incompatible, LastError = "incompatible protocol version " + major });
    }

    /// <summary>Sends what the device lacks to show the desired screen, superseding a stale request in flight.</summary>
    private async ValueTask<LinkEnd?> SendNextAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (!_helloDone || _incompatible)
        {
            return null;
        }

        var (message, key) = NextCommand();
        if (message is null)
        {
            return null;
        }

        if (_outstanding is { } o && o.Type == message.Type && Equals(o.Key, key))
        {
            return null; // already in flight
        }

        if (FrameCodec.HeaderLength + message.ToPayload().Length > _mtu)
        {
            // More than this device accepts (its HELLO_ACK mtu): never sent (logged as TOO_LARGE); the screen stays.
            Acknowledged(new Outstanding(0, message.Type, [], key), AckResult.TooLarge);
            return null;
        }

        await SendRequestAsync(stream, message, key, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private (DisplayMessage? Message, object? Key) NextCommand()
    {
        switch (controller.Desired)
        {
            case IdleScreen idle when !Equals(_shown, idle):
                return (new ShowIdleMessage(idle.MerchantName, idle.Line2), idle);
            case QrScreen qr:
                if (_shown is not QrScreen shown || shown.Qr != qr.Qr)
                {
                    return (qr.Qr with { SecondsLeft = SecondsLeft(qr.Qr.ExpireUnixMs) }, qr);
                }

                if (qr.Status != DisplayStatus.Waiting && qr.Status != _shownStatus)
                {
                    return (new SetStatusMessage(qr.PaymentId, qr.Status, qr.Message), qr);
                }

                // The same QR with a newer status object: remember it as the one shown.
                _shown = qr;
                return (null, null);
            default:
                return (null, null);
        }
    }

    private ushort SecondsLeft(ulong expireUnixMs)
    {
        var left = (long)expireUnixMs - wallClock.GetUtcNow().ToUnixTimeMilliseconds();
        return left <= 0 ? (ushort)0 : (ushort)Math.Min(ushort.MaxValue, (left + 999) / 1000);
    }

    private async ValueTask SendHelloAsync(Stream stream, CancellationToken cancellationToken)
    {
        _helloDone = false;
        _incompatible = false;
        _shown = null;
        var hello = new HelloMessage(
            FrameCodec.ProtocolVersion, 0, (ulong)wallClock.GetUtcNow().ToUnixTimeMilliseconds(),
            (ushort)options.Heartbeat.TotalMilliseconds, (ushort)options.LinkTimeout.TotalMilliseconds, options.HostName);
        await SendRequestAsync(stream, hello, key: null, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask SendRequestAsync(Stream stream, DisplayMessage message, object? key, CancellationToken cancellationToken)
    {
        var seq = _seq.Next();
        var wire = FrameCodec.Encode(message.Type, FrameOptions.AckRequested, seq, message.ToPayload());
        _outstanding = new Outstanding(seq, message.Type, wire, key) { Deadline = linkClock.GetUtcNow() + options.RtoFor(wire.Length, message.Type) };
        await WriteAsync(stream, wire, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask RespondAsync(Stream stream, ReceivedFrame request, DisplayMessage response, CancellationToken cancellationToken) =>
        await WriteAsync(stream, FrameCodec.Encode(response.Type, FrameOptions.Response, request.Seq, response.ToPayload()), cancellationToken).ConfigureAwait(false);

    private async ValueTask WriteAsync(Stream stream, byte[] wire, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.WriteTimeout, linkClock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        // No Flush: on a serial port whose device vanished, SerialStream.Flush spins forever on its write queue and
        // no token can stop it. A write that cannot complete is cancelled by the timeout instead.
        await stream.WriteAsync(wire, linked.Token).ConfigureAwait(false);
        _lastSent = linkClock.GetUtcNow();
    }

    private void PublishDrops()
    {
        var errors = _decoder.Errors;
        if (errors != _errorsReported)
        {
            var added = errors - _errorsReported;
            _errorsReported = errors;
            SetStatus(s => s with { FramesDropped = s.FramesDropped + added });
        }
    }

    /// <summary>Every line this session logs is about what a device did (or failed to do): it is first allowed by the display's budget.</summary>
    private bool MayLog(LogLevel level) => controller.LogBudget.Allows(logger, level, TerminalId, linkClock);

    private void SetStatus(Func<DisplayLinkStatus, DisplayLinkStatus> update) => controller.UpdateStatus(update);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private sealed class Outstanding(byte seq, MessageType type, byte[] wire, object? key)
    {
        public byte Seq { get; } = seq;

        public MessageType Type { get; } = type;

        public byte[] Wire { get; } = wire;

        public object? Key { get; } = key;

        public int Retries { get; set; }

        /// <summary>The device answered BUSY: at the deadline the request is sent again with a new seq.</summary>
        public bool Busy { get; set; }

        public DateTimeOffset Deadline { get; set; }
    }
}
