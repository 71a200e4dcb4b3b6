using System.Text;
using Bakong.Display.Protocol;
using Microsoft.Extensions.Logging;

namespace Bakong.Display.Link;

/// <summary>
/// The host side of one display link, without I/O (SPEC.md §5, §9, §10, v1.1): fed the device's bytes, timer ticks and
/// desired-screen changes with the time, it queues the bytes to write. HELLO handshake; stop-and-wait requests (one in
/// flight, RTO, 3 retransmits; a newer screen supersedes an unacknowledged one); PING when idle; link down after the
/// retransmits (→ HELLO again) or on silence (→ the session ends); BOOT or a new boot id → HELLO and a re-sync; device
/// events ACKed. What it sends for the desired screen depends on the device's minor version (§10.2): a v1.1 device
/// gets results in one SHOW_RESULT; a v1.0 device gets SET_STATUS after the payment's SHOW_QR, or on a re-sync a
/// SHOW_QR without its QR (empty qr, 0 s left) first. Either way no display draws the QR of a payment with a result.
/// An operator's <see cref="DeviceCommand"/> (SET_CONFIG, BEEP, CLEAR, GET_STATE) is one more request on the same
/// stop-and-wait: sent when the screen needs nothing, superseded like a stale screen command when it does; after a
/// CLEAR is acknowledged the desired screen is sent again at once, so a CLEAR blanks a payment's QR only for that
/// moment. The last fault the link saw (NAK, timeout, incompatible version, port) stays in the status.
/// </summary>
/// <remarks>
/// <see cref="HostLinkSession"/> runs it over a stream on one loop; the property tests run it against a
/// <see cref="DisplayDevice"/> directly. The link clock is the <c>now</c> passed in; <paramref name="wallClock"/>
/// turns a QR's absolute expiry into the seconds left at each send.
/// </remarks>
internal sealed class HostLink(
    DisplayController controller, HostLinkOptions options, TimeProvider wallClock, ILogger logger, IDisplayOutcomeSource? outcomes)
{
    private const int MinMtu = 64;
    private const string MtuTooSmall = "mtu too small for the QR";

    private readonly FrameDecoder _decoder = new();
    private readonly Queue<byte[]> _output = new();
    private SequenceCounter _seq;
    private Outstanding? _outstanding;
    private bool _helloDone;
    private bool _languageDue; // the display's language is sent after each handshake, before the screen
    private bool _incompatible;
    private uint? _bootId;
    private byte _deviceMinor;
    private bool _resultsUnsupported;
    private DeviceCapabilities _capabilities;
    private int _mtu = FrameCodec.MaxHeaderAndPayload;
    private string? _notDriven;
    private bool _keyMismatch;
    private bool _authRetried;
    private uint _macCounter;
    private object? _shown;
    private (DesiredScreen? Key, MessageType Type)? _refused; // DesiredScreen: compared by value (a record), not by reference
    private (DesiredScreen? Key, MessageType Type)? _badState;
    private DateTimeOffset _lastSent;
    private DateTimeOffset _lastReceived;
    private FrameDrops _dropsReported = FrameDrops.None;

    private string TerminalId => controller.TerminalId;

    private bool UsesMac => (_capabilities & DeviceCapabilities.QrMac) != 0 && !options.QrMacKey.IsEmpty;

    /// <summary>When <see cref="Poll"/> has something to do next.</summary>
    public DateTimeOffset NextDue
    {
        get
        {
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

            return due;
        }
    }

    /// <summary>The next bytes to write, in order.</summary>
    public bool TryTakeOutput(out byte[] wire) => _output.TryDequeue(out wire!);

    /// <summary>The port is open: handshake.</summary>
    public void Start(DateTimeOffset now)
    {
        _lastReceived = now;
        SetStatus(s => s with { State = DisplayLinkState.Connecting, LastError = null });
        SendHello(now);
    }

    /// <summary>The session ends (the stream failed, or the caller's <see cref="LinkEnd"/>): the display is offline.</summary>
    public LinkEnd Fail(LinkEnd end, string reason, DateTimeOffset now)
    {
        if (MayLog(LogLevel.Warning, _lastReceived))
        {
            DisplayLog.Offline(logger, TerminalId, reason);
        }

        Fault(end == LinkEnd.Unresponsive ? LinkFaultKind.Timeout : LinkFaultKind.Port, reason, now);
        SetStatus(s => s with { State = DisplayLinkState.Offline, LastError = reason });
        AbandonCommands("the link went down: " + reason);
        return end;
    }

    /// <summary>Bytes from the device, in any chunks.</summary>
    public void Receive(ReadOnlySpan<byte> bytes, DateTimeOffset now)
    {
        foreach (var b in bytes)
        {
            if (_decoder.Push(b, out var frame))
            {
                OnFrame(new ReceivedFrame(frame.Version, frame.Type, frame.Flags, frame.Seq, frame.Payload.ToArray()), now);
            }
        }

        PublishDrops();
    }

    /// <summary>The desired screen changed: send what the device lacks, superseding a stale request in flight.</summary>
    public void DesiredChanged(DateTimeOffset now)
    {
        _refused = null;
        SendNext(now, changed: true);
    }

    /// <summary>An operator's command was queued: sent now if the link is free (<see cref="DisplayController.TrySubmit"/>).</summary>
    public void CommandQueued(DateTimeOffset now) => SendNext(now);

    /// <summary>Timer work: silence, retransmits, BUSY retries, heartbeat. A <see cref="LinkEnd"/> when the session must end.</summary>
    public LinkEnd? Poll(DateTimeOffset now)
    {
        if (!_incompatible && now - _lastReceived >= options.LinkTimeout)
        {
            return Fail(LinkEnd.Unresponsive, $"no valid frame for {options.LinkTimeout.TotalSeconds:0.#} s", now);
        }

        if (_outstanding is { } o && now >= o.Deadline)
        {
            if (o.Busy)
            {
                // SPEC §7: after BUSY the request is tried again as a new request (new seq). The same bytes would be a
                // duplicate, which the device answers from its cache (BUSY again) without executing it.
                _outstanding = null;
                if (o.Command is { } command)
                {
                    SendRequest(command.Message, key: null, now, command);
                }
                else if (o.Type == MessageType.Hello)
                {
                    SendHello(now);
                }
                else
                {
                    SendNext(now);
                }

                return null;
            }

            if (o.Retries >= options.MaxRetransmits)
            {
                // The link is down. A noisy line still passes some frames, so the port stays open: handshake again
                // and send the whole screen; only silence past the link timeout (or a dead stream) ends the session.
                var reason = $"{o.Type} seq {o.Seq} unanswered after {o.Retries} retransmits";
                if (MayLog(LogLevel.Warning, now))
                {
                    DisplayLog.Offline(logger, TerminalId, reason);
                }

                Fault(LinkFaultKind.Timeout, reason, now);
                SetStatus(s => s with { State = DisplayLinkState.Offline, LastError = reason });
                AbandonCommands(reason);
                SendHello(now);
                return null;
            }

            o.Retries++;
            if (MayLog(LogLevel.Debug, now))
            {
                DisplayLog.Retransmit(logger, TerminalId, o.Type, o.Seq, o.Retries);
            }

            SetStatus(s => s with { Retransmits = s.Retransmits + 1 });
            Write(o.Wire, now);
            o.Deadline = now + options.RtoFor(o.Wire.Length, o.Type);
            return null;
        }

        if (_outstanding is null && _helloDone && !_incompatible && now - _lastSent >= options.Heartbeat)
        {
            SendRequest(new EmptyMessage(MessageType.Ping), key: null, now);
        }

        return null;
    }

    private void OnFrame(ReceivedFrame frame, DateTimeOffset now)
    {
        _lastReceived = now;
        SetStatus(s => s with { LastFrameTime = now });
        if (frame.Version != FrameCodec.ProtocolVersion)
        {
            // A request from another major version is refused (and tells us the device is not ours to operate);
            // a response from one is ignored, never answered.
            if (frame.AckRequested && !frame.IsResponse)
            {
                Respond(frame, new AckMessage(AckResult.UnsupportedVersion, frame.Type), now);
                MarkIncompatible(frame.Version);
            }

            return;
        }

        var result = DisplayMessages.TryRead(frame.Type, frame.Payload, out var read);
        var message = read is null ? null : DeviceText.Clean(read); // from here on, the device's text is safe to log and show
        if (frame.IsResponse)
        {
            if (result == AckResult.Ok && _outstanding is { } o && o.Seq == frame.Seq && Answers(o.Type, message!))
            {
                OnResponse(o, message!, now);
            }

            return; // a late answer to a superseded or retransmitted request, or not an answer to it at all
        }

        if (!frame.AckRequested)
        {
            if (message is LogMessage log && MayLog(LogLevel.Information, now))
            {
                DisplayLog.DeviceLog(logger, TerminalId, log.Level, log.Text);
            }

            return;
        }

        // A device event: ACK it at once (a retransmitted event is ACKed again; acting on it twice is harmless). Any
        // other type is not a request in this direction: UNKNOWN_TYPE whatever its payload (SPEC.md §5.3).
        var isEvent = frame.MessageType is MessageType.Boot or MessageType.StateChanged;
        Respond(frame, new AckMessage(isEvent ? result : AckResult.UnknownType, frame.Type), now);
        switch (isEvent ? message : null)
        {
            case BootMessage boot:
                if (_bootId != boot.BootId || !_helloDone)
                {
                    if (MayLog(LogLevel.Information, now))
                    {
                        DisplayLog.Rebooted(logger, TerminalId, boot.BootId, boot.ResetReason);
                    }

                    // At most one HELLO in flight: a flood of BOOTs costs one ACK each, and the whole screen follows
                    // only the device's HELLO_ACK, once per handshake.
                    if (_helloDone || _incompatible || _outstanding?.Type != MessageType.Hello)
                    {
                        SendHello(now);
                    }
                }

                break;
            case StateChangedMessage changed:
                OnStateChanged(changed, now);
                break;
        }
    }

    /// <summary>Whether <paramref name="answer"/> is the kind that answers a <paramref name="request"/> (SPEC.md §5.4).</summary>
    private static bool Answers(MessageType request, DisplayMessage answer) => answer switch
    {
        HelloAckMessage => request == MessageType.Hello,
        PongMessage => request == MessageType.Ping,
        StateMessage => request == MessageType.GetState,
        AckMessage ack => ack.AckedType == (byte)request,
        _ => false,
    };

    private void OnStateChanged(StateChangedMessage changed, DateTimeOffset now)
    {
        if (MayLog(LogLevel.Debug, now))
        {
            DisplayLog.DeviceState(logger, TerminalId, changed.Screen, changed.Status, changed.PaymentId, changed.Reason);
        }

        SetStatus(s => s with { DeviceScreen = changed.Screen, DeviceStatus = changed.Status, DevicePaymentId = changed.PaymentId });

        // SPEC.md §10.3: the device's countdown ended while the host still wants the QR. Recording it is not enough (a
        // paid payment would show EXPIRED): the payment's real outcome is looked up, and becomes the desired screen if it
        // has one. If it is still waiting (the device's clock ran fast), the QR stays desired and nothing is sent.
        if (changed.Reason == StateChangedMessage.ExpiredLocally && controller.Desired is QrScreen qr && qr.PaymentId == changed.PaymentId)
        {
            if (MayLog(LogLevel.Information, now))
            {
                DisplayLog.CountdownEnded(logger, TerminalId, changed.PaymentId);
            }

            outcomes?.CountdownEnded(TerminalId, qr.PaymentId);
        }
    }

    private void OnResponse(Outstanding request, DisplayMessage message, DateTimeOffset now)
    {
        switch (message)
        {
            case HelloAckMessage hello:
                _outstanding = null;
                if (hello.ProtoMajor != FrameCodec.ProtocolVersion)
                {
                    MarkIncompatible(hello.ProtoMajor);
                    return;
                }

                OnHelloAck(hello, now);
                break;
            case PongMessage pong:
                _outstanding = null;
                SetStatus(s => s with { LastAckTime = now, DeviceScreen = s.DeviceScreen ?? pong.Screen });
                if (pong.BootId != _bootId)
                {
                    // The device rebooted between two heartbeats and its BOOT got lost.
                    if (MayLog(LogLevel.Information, now))
                    {
                        DisplayLog.Rebooted(logger, TerminalId, pong.BootId, 0);
                    }

                    SendHello(now);
                    return;
                }

                break;
            case StateMessage state:
                _outstanding = null;
                SetStatus(s => s with { LastAckTime = now });
                Answered(request, new DeviceCommandAnswer { State = state }, now);
                break;
            case AckMessage ack:
                if (ack.Result == AckResult.Busy)
                {
                    request.Busy = true; // tried again as a new request after the RTO
                    request.Deadline = now + options.RtoFor(request.Wire.Length, request.Type);
                    return;
                }

                _outstanding = null;
                SetStatus(s => s with { LastAckTime = now });
                var more = request.Command is not null ? CommandAcknowledged(request, ack.Result, now)
                    : request.Type == MessageType.SetConfig ? LanguageAcknowledged(ack.Result, now)
                    : Acknowledged(request, ack.Result, now);
                if (!more)
                {
                    return;
                }

                break;
        }

        SendNext(now);
    }

    private void OnHelloAck(HelloAckMessage hello, DateTimeOffset now)
    {
        _helloDone = true;
        _incompatible = false;
        if (_bootId != hello.BootId)
        {
            _macCounter = 0; // counters belong to one boot
        }

        _bootId = hello.BootId;
        _deviceMinor = hello.ProtoMinor;
        _resultsUnsupported = false;
        _capabilities = hello.CapabilityFlags;
        _macCounter = Math.Max(_macCounter, hello.MacCounter ?? 0); // continue above what the device accepted
        _mtu = Math.Min((int)hello.Mtu, FrameCodec.MaxHeaderAndPayload); // an mtu above 640 is used as 640
        _shown = null; // a re-sync: the whole desired screen (SPEC.md §10.2)
        _languageDue = options.Language is not null; // and the language first: a rebooted device is back in English
        _refused = null;
        _badState = null;
        _notDriven = hello.Mtu < MinMtu ? $"mtu {hello.Mtu} is below {MinMtu}: a broken device"
            : (_capabilities & DeviceCapabilities.QrMac) != 0 && options.QrMacKey.IsEmpty ? "display requires a QR key (Displays:N:QrMacKey)"
            : null;
        if (MayLog(LogLevel.Information, now))
        {
            DisplayLog.Online(logger, TerminalId, hello.BootId, hello.FwVersion, hello.Model, hello.Serial, hello.Mtu);
        }

        if (_notDriven is not null && MayLog(LogLevel.Error, now))
        {
            DisplayLog.NotDriven(logger, TerminalId, _notDriven);
        }

        SetStatus(s => s with
        {
            State = DisplayLinkState.Online, BootId = hello.BootId, FirmwareVersion = hello.FwVersion, Model = hello.Model,
            Serial = hello.Serial, ProtocolMinor = hello.ProtoMinor, Capabilities = hello.CapabilityFlags, LastAckTime = now,
            LastError = null, Problem = _keyMismatch ? s.Problem : _notDriven,
        });
    }

    /// <summary>A request was answered with an ACK: what the device now shows. False when nothing more is to be sent now.</summary>
    private bool Acknowledged(Outstanding request, AckResult result, DateTimeOffset now)
    {
        // SPEC §7: a result code this host does not know (8–255, from a newer device) is handled as BAD_STATE.
        if (!Enum.IsDefined(result))
        {
            result = AckResult.BadState;
        }

        Refused(request.Type, result, now);
        switch (result)
        {
            case AckResult.Ok:
                _badState = null;
                if (QrMac.IsTagged((byte)request.Type))
                {
                    _authRetried = false;
                }

                _shown = (request.Key, request.Type) switch
                {
                    (ResultScreen r, MessageType.ShowQr) => new FallbackQr(r.PaymentId), // v1.0: P on screen, nothing to scan
                    (QrScreen q, MessageType.ShowIdle) => new Substitute(q), // its QR does not fit this device
                    (var key, _) => key,
                };
                if (_shown is DesiredScreen shown)
                {
                    controller.MarkShown(shown);
                }

                return true;
            case AckResult.UnsupportedVersion:
                // The device refused our version 1 (in a version 1 frame, SPEC.md §5.3): it did not say its own.
                MarkIncompatible(deviceMajor: null);
                return false;
            case AckResult.UnknownType when request.Type == MessageType.ShowResult:
                _resultsUnsupported = true; // SPEC §7: stop sending that type; results go the v1.0 way
                return true;
            case AckResult.AuthFailed when !_authRetried:
                // SPEC §6.5: handshake (the HELLO_ACK tells the device's counter) and the desired screen once more.
                _authRetried = true;
                if (MayLog(LogLevel.Warning, now))
                {
                    DisplayLog.AuthFailed(logger, TerminalId, request.Type);
                }

                SendHello(now);
                return false;
            case AckResult.AuthFailed:
                _keyMismatch = true; // twice in a row: a wrong key; no QR or result commands any more
                const string Mismatch = "QR key mismatch (Displays:N:QrMacKey is not the device's key)";
                if (MayLog(LogLevel.Error, now))
                {
                    DisplayLog.NotDriven(logger, TerminalId, Mismatch);
                }

                SetStatus(s => s with { Problem = Mismatch });
                return false;
            case AckResult.BadState when _badState != (request.Key, request.Type):
                // Not applicable to what the device shows (it rebooted, or expired it): the whole screen again, once.
                _badState = (request.Key, request.Type);
                _shown = null;
                return true;
            default:
                // BAD_PAYLOAD, TOO_LARGE, another UNKNOWN_TYPE, a repeated BAD_STATE: the same command would be refused
                // again. It is not sent again until the desired screen changes or the device handshakes again.
                _refused = (request.Key, request.Type);
                return false;
        }
    }

    /// <summary>
    /// The handshake's SET_CONFIG language was answered: sent once per handshake whatever the answer (a device that
    /// refuses it keeps its own language; a NAK is logged and kept as the last fault). False when nothing more is to be
    /// sent now.
    /// </summary>
    private bool LanguageAcknowledged(AckResult result, DateTimeOffset now)
    {
        result = Enum.IsDefined(result) ? result : AckResult.BadState; // SPEC §7, as for any request
        Refused(MessageType.SetConfig, result, now);
        _languageDue = false;
        if (result == AckResult.UnsupportedVersion)
        {
            MarkIncompatible(deviceMajor: null);
            return false;
        }

        return true;
    }

    /// <summary>An operator's command was answered with an ACK: the answer is the caller's. False when nothing more is to be sent now.</summary>
    private bool CommandAcknowledged(Outstanding request, AckResult result, DateTimeOffset now)
    {
        result = Enum.IsDefined(result) ? result : AckResult.BadState; // SPEC §7, as for any request
        Refused(request.Type, result, now);
        Answered(request, new DeviceCommandAnswer { Ack = result }, now);
        switch (result)
        {
            case AckResult.UnsupportedVersion:
                MarkIncompatible(deviceMajor: null);
                return false;
            case AckResult.Ok when request.Type == MessageType.Clear:
                // The device shows its own idle screen now, not the desired one: send that again (a payment's QR, the
                // merchant's idle screen) rather than leave it until the next change.
                _shown = null;
                return true;
            default:
                return true;
        }
    }

    /// <summary>Logs and keeps a NAK (any ACK but OK and BUSY) as the link's last fault.</summary>
    private void Refused(MessageType type, AckResult result, DateTimeOffset now)
    {
        if (result is AckResult.Ok or AckResult.Busy)
        {
            return;
        }

        if (MayLog(LogLevel.Warning, now))
        {
            DisplayLog.Nak(logger, TerminalId, type, result);
        }

        Fault(LinkFaultKind.Nak, $"{type} refused: {result}", now);
    }

    /// <summary>Hands an operator's command its answer (when <paramref name="request"/> was one).</summary>
    private void Answered(Outstanding request, DeviceCommandAnswer answer, DateTimeOffset now)
    {
        if (request.Command is not { } command)
        {
            return;
        }

        if (MayLog(LogLevel.Information, now))
        {
            if (answer.State is { } state)
            {
                DisplayLog.StateAnswered(logger, TerminalId, state.Screen, state.Status, state.PaymentId);
            }
            else
            {
                DisplayLog.CommandAnswered(logger, TerminalId, request.Type, answer.Ack ?? AckResult.Ok);
            }
        }

        command.Complete(answer);
    }

    /// <summary>The command in flight and the one queued get no answer from this link: they are told why.</summary>
    private void AbandonCommands(string reason)
    {
        if (_outstanding?.Command is { } inFlight)
        {
            inFlight.Complete(DeviceCommandAnswer.Failed(reason));
        }

        controller.TakeCommand()?.Complete(DeviceCommandAnswer.Failed(reason));
    }

    private void Fault(LinkFaultKind kind, string detail, DateTimeOffset now) =>
        SetStatus(s => s with { LastFault = LinkFault.Of(kind, detail, now) });

    /// <summary>
    /// The device is not ours to operate: it spoke <paramref name="deviceMajor"/> (a frame's ver or HELLO_ACK's
    /// proto_major, one byte), or, when null, refused ours with ACK UNSUPPORTED_VERSION.
    /// </summary>
    private void MarkIncompatible(byte? deviceMajor)
    {
        var reason = deviceMajor is { } spoken
            ? $"incompatible protocol version {spoken}"
            : $"the display refused protocol version {FrameCodec.ProtocolVersion} (UNSUPPORTED_VERSION)";
        AbandonCommands(reason);
        _incompatible = true;
        _helloDone = false;
        _outstanding = null;
        if (MayLog(LogLevel.Error, _lastReceived))
        {
            if (deviceMajor is { } major)
            {
                DisplayLog.Incompatible(logger, TerminalId, major);
            }
            else
            {
                DisplayLog.VersionRefused(logger, TerminalId, FrameCodec.ProtocolVersion);
            }
        }

        Fault(LinkFaultKind.Incompatible, reason, _lastReceived);
        SetStatus(s => s with { State = DisplayLinkState.Incompatible, LastError = reason });
    }

    /// <summary>
    /// Sends what the device lacks to show the desired screen, superseding a stale request in flight; when the screen
    /// needs nothing and nothing is in flight, an operator's queued command.
    /// </summary>
    private void SendNext(DateTimeOffset now, bool changed = false)
    {
        if (!_helloDone || _incompatible)
        {
            return;
        }

        if (_languageDue)
        {
            // The screen waits for the language (one round trip), so the customer never sees it drawn in the wrong one.
            if (_outstanding is null && options.Language is { } language)
            {
                SendRequest(new SetConfigMessage(null, null, (byte)language), key: null, now);
            }

            return;
        }

        if (!SendScreen(now, changed) && _outstanding is null && controller.TakeCommand() is { } command)
        {
            SendRequest(command.Message, key: null, now, command);
        }
    }

    /// <summary>
    /// Sends what the device lacks to show the desired screen; false when the screen needs nothing sent now. A new
    /// desired screen that the device already shows (the result of a QR the host already sent as expired) is shown at once.
    /// </summary>
    private bool SendScreen(DateTimeOffset now, bool changed)
    {
        if (_notDriven is not null || controller.Desired is not { } desired)
        {
            return false;
        }

        var screen = Effective(desired);
        var (message, key) = NextCommand(screen);
        if (message is null && changed && Equals(_shown, screen))
        {
            controller.MarkShown(screen);
        }

        if (message is null || (_keyMismatch && QrMac.IsTagged((byte)message.Type)) || _refused == (key, message.Type))
        {
            return false; // nothing to send, or refused
        }

        if (_outstanding is { } o && o.Type == message.Type && Equals(o.Key, key))
        {
            return true; // already in flight
        }

        SendRequest(message, key, now);
        return true;
    }

    /// <summary>The desired screen as it stands now: a QR with less than a whole second left is treated as expired (SPEC.md §10.2).</summary>
    private DesiredScreen Effective(DesiredScreen desired) =>
        desired is QrScreen qr && SecondsLeft(qr.Payment) < 1 ? new ResultScreen(qr.Payment, DisplayStatus.Expired, "") : desired;

    /// <summary>The one command that brings the device closer to <paramref name="screen"/> (SPEC.md §10.2), fitted to the device's MTU.</summary>
    private (DisplayMessage? Message, DesiredScreen Key) NextCommand(DesiredScreen screen)
    {
        if (Equals(_shown, screen) || (_shown is Substitute s && Equals(s.Screen, screen)))
        {
            return (null, screen);
        }

        DisplayMessage message;
        switch (screen)
        {
            case IdleScreen idle:
                message = new ShowIdleMessage(idle.MerchantName, idle.Line2);
                break;
            case QrScreen qr:
                message = ShowQr(qr.Payment, (ushort)Math.Min(ushort.MaxValue, SecondsLeft(qr.Payment)), qr.Payment.Qr);
                break;
            case ResultScreen result when _deviceMinor >= 1 && !_resultsUnsupported:
                var p = result.Payment;
                message = new ShowResultMessage(p.PaymentId, result.Status, p.AmountMinor, p.Currency, p.Exponent, p.MerchantName, result.Message);
                break;
            case ResultScreen result:
                // A v1.0 device takes SET_STATUS only for the payment on its screen. Without it there, the payment's
                // SHOW_QR goes first with nothing to scan: an empty qr, already expired (0 s left).
                var onScreen = _shown switch
                {
                    QrScreen q => q.PaymentId == result.PaymentId,
                    ResultScreen r => r.PaymentId == result.PaymentId,
                    FallbackQr f => f.PaymentId == result.PaymentId,
                    _ => false,
                };
                message = onScreen ? new SetStatusMessage(result.PaymentId, result.Status, result.Message) : ShowQr(result.Payment, 0, "");
                break;
            default:
                return (null, screen);
        }

        var fitted = Fit(message);
        if (fitted is not null && controller.Status.Problem == MtuTooSmall)
        {
            SetStatus(st => st with { Problem = null }); // the screen that did not fit is gone
        }

        if (fitted is null && screen is QrScreen tooLarge)
        {
            // SPEC.md §9.1: even with an empty merchant name the QR does not fit this device. It must not keep showing
            // an older payment: the idle screen in its place, and the display is reported unhealthy.
            if (MayLog(LogLevel.Warning, _lastReceived))
            {
                DisplayLog.QrDoesNotFit(logger, TerminalId, tooLarge.PaymentId, _mtu);
            }

            SetStatus(st => st with { Problem = MtuTooSmall });
            fitted = Fit(new ShowIdleMessage(tooLarge.Payment.MerchantName, ""));
        }

        return (fitted, screen);
    }

    private static ShowQrMessage ShowQr(DisplayPayment p, ushort secondsLeft, string qr) =>
        new(p.PaymentId, p.AmountMinor, p.Currency, p.Exponent, p.ExpireUnixMs, secondsLeft, p.MerchantName, qr);

    /// <summary>
    /// <paramref name="message"/> within the device's MTU (and the 634-byte payload, with room for a MAC trailer when one
    /// is appended): merchant_name, then line2 or the message, shortened at a UTF-8 character boundary (SPEC.md §6.1,
    /// §9.1). Null when even empty text does not make a SHOW_QR fit. A frame is never split.
    /// </summary>
    private DisplayMessage? Fit(DisplayMessage message)
    {
        var room = _mtu - FrameCodec.HeaderLength - (UsesMac && QrMac.IsTagged((byte)message.Type) ? QrMac.TrailerLength : 0);
        switch (message)
        {
            case ShowIdleMessage m when Shorten(m.MerchantName, m.Line2, room - 2) is var (a, b):
                return m with { MerchantName = a, Line2 = b };
            case ShowQrMessage m when Shorten(m.MerchantName, "", room - 25 - Bytes(m.PaymentId) - Bytes(m.Qr)) is var (a, _):
                return m with { MerchantName = a };
            case ShowResultMessage m when Shorten(m.MerchantName, m.Message, room - 15 - Bytes(m.PaymentId)) is var (a, b):
                return m with { MerchantName = a, Message = b };
            case SetStatusMessage m when Shorten("", m.Message, room - 3 - Bytes(m.PaymentId)) is var (_, b):
                return m with { Message = b };
            case ShowIdleMessage or ShowQrMessage or ShowResultMessage or SetStatusMessage:
                return null;
            default:
                return message;
        }
    }

    /// <summary>Two texts cut to 96 bytes each and then, first the one then the other, until they take at most <paramref name="room"/> bytes.</summary>
    private static (string First, string Second)? Shorten(string first, string second, int room)
    {
        first = Utf8Text.Truncate(first, PayloadLimits.Text);
        second = Utf8Text.Truncate(second, PayloadLimits.Text);
        if (room < 0)
        {
            return null;
        }

        var excess = Bytes(first) + Bytes(second) - room;
        if (excess > 0)
        {
            var cut = Math.Min(excess, Bytes(first));
            first = Utf8Text.Truncate(first, Bytes(first) - cut);
            second = Utf8Text.Truncate(second, room - Bytes(first));
        }

        return (first, second);
    }

    private static int Bytes(string text) => Encoding.UTF8.GetByteCount(text);

    /// <summary>Whole seconds until expiry on the host's clock, rounded down: the device's countdown never outlasts the payment.</summary>
    private long SecondsLeft(DisplayPayment payment)
    {
        var left = (long)payment.ExpireUnixMs - wallClock.GetUtcNow().ToUnixTimeMilliseconds();
        return left <= 0 ? 0 : left / 1000;
    }

    private void SendHello(DateTimeOffset now)
    {
        _helloDone = false;
        _incompatible = false;
        _shown = null;
        var hello = new HelloMessage(
            FrameCodec.ProtocolVersion, FrameCodec.ProtocolMinor, (ulong)wallClock.GetUtcNow().ToUnixTimeMilliseconds(),
            (ushort)options.Heartbeat.TotalMilliseconds, (ushort)options.LinkTimeout.TotalMilliseconds, options.HostName);
        SendRequest(hello, key: null, now);
    }

    private void SendRequest(DisplayMessage message, DesiredScreen? key, DateTimeOffset now, DeviceCommand? command = null)
    {
        if (_outstanding?.Command is { } superseded && !ReferenceEquals(superseded, command))
        {
            // A screen command (or a handshake) goes first; whether the device ran the command cannot be known now.
            superseded.Complete(DeviceCommandAnswer.Failed($"superseded by {message.Type} before the display answered; it may or may not have run"));
        }

        var seq = _seq.Next();
        var payload = message.ToPayload();
        if (UsesMac && QrMac.IsTagged((byte)message.Type))
        {
            // A new command gets the next counter; a retransmission is these very bytes (SPEC.md §6.5).
            payload = QrMac.Append(options.QrMacKey.Span, _bootId ?? 0, message.Type, payload, ++_macCounter);
        }

        var wire = FrameCodec.Encode(message.Type, FrameOptions.AckRequested, seq, payload);
        _outstanding = new Outstanding(seq, message.Type, wire, key, command) { Deadline = now + options.RtoFor(wire.Length, message.Type) };
        Write(wire, now);
    }

    private void Respond(ReceivedFrame request, DisplayMessage response, DateTimeOffset now) =>
        Write(FrameCodec.Encode(response.Type, FrameOptions.Response, request.Seq, response.ToPayload()), now);

    private void Write(byte[] wire, DateTimeOffset now)
    {
        _output.Enqueue(wire);
        _lastSent = now;
    }

    private void PublishDrops()
    {
        var drops = FrameDrops.Of(_decoder);
        if (drops != _dropsReported)
        {
            var added = new FrameDrops(
                drops.CobsInvalid - _dropsReported.CobsInvalid, drops.TooShort - _dropsReported.TooShort,
                drops.LengthMismatch - _dropsReported.LengthMismatch, drops.BadCrc - _dropsReported.BadCrc, drops.TooLong - _dropsReported.TooLong);
            _dropsReported = drops;
            SetStatus(s => s with { Drops = s.Drops.Add(added), FramesDropped = s.FramesDropped + added.Total });
        }
    }

    /// <summary>Every line this link logs is about what a device did (or failed to do): it is first allowed by the display's budget.</summary>
    private bool MayLog(LogLevel level, DateTimeOffset now) => controller.LogBudget.Allows(logger, level, TerminalId, now);

    private void SetStatus(Func<DisplayLinkStatus, DisplayLinkStatus> update) => controller.UpdateStatus(update);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>v1.0 re-sync: payment P's SHOW_QR without its QR is on screen; its SET_STATUS follows.</summary>
    private sealed record FallbackQr(string PaymentId);

    /// <summary>The QR screen whose SHOW_QR does not fit the device: the idle screen was shown instead.</summary>
    private sealed record Substitute(QrScreen Screen);

    private sealed class Outstanding(byte seq, MessageType type, byte[] wire, DesiredScreen? key, DeviceCommand? command)
    {
        public byte Seq { get; } = seq;

        public MessageType Type { get; } = type;

        public byte[] Wire { get; } = wire;

        public DesiredScreen? Key { get; } = key;

        /// <summary>The operator's command this request carries, if it is one.</summary>
        public DeviceCommand? Command { get; } = command;

        public int Retries { get; set; }

        /// <summary>The device answered BUSY: at the deadline the request is sent again with a new seq.</summary>
        public bool Busy { get; set; }

        public DateTimeOffset Deadline { get; set; }
    }
}
