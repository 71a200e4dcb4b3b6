using Bakong.Display.Protocol;

namespace Bakong.Display.Link;

/// <summary>Bytes a device writes: an answer (which an emulated slow device may hold back) or an event of its own.</summary>
public readonly record struct DeviceOutput(byte[] Wire, bool IsAnswer);

/// <summary>
/// One boot of a display device, as the firmware does it and without any I/O (SPEC.md §5, §9–§11, v1.1): it is fed
/// bytes and the time, and queues what it writes. BOOT until an answered HELLO; every request checked in the order of
/// §5.3 and answered at once (HELLO_ACK, PONG, STATE, or ACK with a result); duplicates answered from the cache and not
/// executed again; STATE_CHANGED {expired_locally} when its own countdown ends, held while the link is lost; the
/// result latch (the last <see cref="LatchCapacity"/> payments whose result it drew never get their QR drawn again);
/// the optional QR MAC. <see cref="DeviceLinkSession"/> runs it over a stream; the session scripts of
/// <c>vectors/sessions.txt</c> and the property tests drive it directly.
/// </summary>
/// <remarks>Single-threaded, like a firmware main loop: call it from one loop.</remarks>
public sealed class DisplayDevice
{
    /// <summary>How many payments the result latch remembers (SPEC.md §11.1: at least 8).</summary>
    public const int LatchCapacity = 8;

    private readonly DeviceIdentity _identity;
    private readonly DeviceLinkOptions _options;
    private readonly FrameDecoder _decoder = new();
    private readonly Queue<DeviceOutput> _output = new();
    private readonly string?[] _latch = new string?[LatchCapacity];
    private readonly Dictionary<MessageType, int> _executed = [];
    private readonly DateTimeOffset _booted;
    private readonly byte[]? _macKey;
    private int _latchNext;
    private SequenceCounter _seq;
    private PendingEvent? _event;
    private DateTimeOffset _bootSent;
    private bool _helloSeen;
    private bool _linkUp;
    private DateTimeOffset _lastReceived;
    private TimeSpan _linkTimeout;
    private byte _pendingReport;
    private Cached? _cache;
    private uint _duplicates;
    private bool _redraw = true; // the blank screen, once

    /// <summary>Boots: the device's first BOOT is queued at once.</summary>
    public DisplayDevice(DeviceIdentity identity, DeviceLinkOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(options);
        _identity = identity;
        _options = options;
        _booted = now;
        _linkTimeout = options.LinkTimeout;
        BootId = options.BootId != 0 ? options.BootId : RandomBootId();
        if (options.MacKey.Length is >= QrMac.MinKeyLength and <= QrMac.MaxKeyLength && IsV11)
        {
            _macKey = options.MacKey.ToArray();
        }

        SendBoot(now);
    }

    public uint BootId { get; }

    /// <summary>What the device shows now (a new object after every change, countdown and offline mark included).</summary>
    public DeviceScreen Screen { get; private set; } = DeviceScreen.Blank;

    /// <summary>HELLO_ACK's capabilities: the configured ones, with QR_MAC exactly when the device holds a key.</summary>
    public DeviceCapabilities Capabilities => _options.Capabilities & ~DeviceCapabilities.QrMac | (_macKey is null ? 0 : DeviceCapabilities.QrMac);

    /// <summary>The last QR MAC counter accepted in this boot (0: none).</summary>
    public uint MacCounter { get; private set; }

    /// <summary>SET_CONFIG's values (RAM only; SPEC.md §6.2 defaults after boot).</summary>
    public byte Brightness { get; private set; } = 100;

    public bool BeepOnResult { get; private set; } = true;

    public byte Language { get; private set; }

    /// <summary>How many times the device beeped (BEEP, and a new result with beep_on_result).</summary>
    public int Beeps { get; private set; }

    /// <summary>Whether the link is lost (no valid host frame for link_timeout_ms after one came): the offline mark.</summary>
    public bool Offline => Screen.Offline;

    /// <summary>The decoder's counters and the duplicates answered from the cache (STATE's v1.1 fields).</summary>
    public StateCounters Counters => new(
        unchecked((uint)_decoder.Frames),
        unchecked((uint)_decoder.ErrorsOf(FrameError.CobsInvalid)),
        unchecked((uint)_decoder.ErrorsOf(FrameError.TooShort)),
        unchecked((uint)_decoder.ErrorsOf(FrameError.LengthMismatch)),
        unchecked((uint)_decoder.ErrorsOf(FrameError.BadCrc)),
        unchecked((uint)_decoder.ErrorsOf(FrameError.TooLong)),
        _duplicates);

    /// <summary>When <see cref="Poll"/> has something to do next (a BOOT repeat, a retransmit, the countdown, the link timeout).</summary>
    public DateTimeOffset NextDue
    {
        get
        {
            var due = DateTimeOffset.MaxValue;
            if (!_helloSeen)
            {
                due = _bootSent + _options.BootRepeat;
            }

            if (_event is { } e)
            {
                due = Min(due, e.Sent + _options.Rto);
            }

            if (_linkUp)
            {
                due = Min(due, _lastReceived + _linkTimeout);
            }

            if (Screen is { Kind: DisplayScreenKind.Qr, CountdownEnd: { } end })
            {
                due = Min(due, end);
            }

            return due;
        }
    }

    private bool IsV11 => _options.ProtocolMinor >= 1;

    /// <summary>How many times each request type was executed (refused requests and duplicates are not counted).</summary>
    public int ExecutedCount(MessageType type) => _executed.GetValueOrDefault(type);

    /// <summary>Whether a result for <paramref name="paymentId"/> was drawn in this boot (v1.1: its QR is never drawn again).</summary>
    public bool IsLatched(string paymentId) => paymentId.Length > 0 && Array.IndexOf(_latch, paymentId) >= 0;

    /// <summary>Whether a new screen was drawn since the last call (SPEC.md §11.2 (a); the draw/same of sessions.txt).</summary>
    public bool TakeRedraw()
    {
        var redraw = _redraw;
        _redraw = false;
        return redraw;
    }

    /// <summary>The next bytes the device writes, in order.</summary>
    public bool TryTakeOutput(out DeviceOutput output) => _output.TryDequeue(out output);

    /// <summary>Bytes from the host, in any chunks.</summary>
    public void Receive(ReadOnlySpan<byte> bytes, DateTimeOffset now)
    {
        foreach (var b in bytes)
        {
            if (_decoder.Push(b, out var frame))
            {
                OnFrame(frame, now);
            }
        }
    }

    /// <summary>The main loop's timer work: the link timeout, the countdown, BOOT repeats, event retransmits.</summary>
    public void Poll(DateTimeOffset now)
    {
        if (_linkUp && now - _lastReceived >= _linkTimeout)
        {
            _linkUp = false;
            Screen = Screen with { Offline = true }; // keep what is shown, with an offline mark
        }

        if (Screen is { Kind: DisplayScreenKind.Qr, CountdownEnd: { } end } && now >= end)
        {
            // The display's own countdown ended: the QR can no longer be paid here. It never infers another outcome.
            ShowStatus(Screen, DisplayStatus.Expired, Screen.Message);
            _pendingReport = StateChangedMessage.ExpiredLocally;
        }

        if (!_helloSeen && now - _bootSent >= _options.BootRepeat)
        {
            SendBoot(now);
        }
        else if (_event is { } e && now - e.Sent >= _options.Rto)
        {
            if (e.Retries < _options.MaxRetransmits)
            {
                e.Retries++;
                e.Sent = now;
                _output.Enqueue(new DeviceOutput(e.Wire, IsAnswer: false)); // the identical bytes, same seq
            }
            else
            {
                _event = null; // an event the host never ACKed is given up silently
            }
        }

        FlushReport(now);
    }

    private void OnFrame(Frame frame, DateTimeOffset now)
    {
        _lastReceived = now;
        if (!_linkUp)
        {
            _linkUp = true;
            if (Screen.Offline)
            {
                Screen = Screen with { Offline = false };
            }
        }

        if (frame.IsResponse)
        {
            // A matching answer (SPEC.md §5.4): ver 1, an ACK with this event's seq and acked_type.
            if (frame.Version == FrameCodec.ProtocolVersion && frame.MessageType == MessageType.Ack && _event is { } e && frame.Seq == e.Seq
                && DisplayMessages.TryRead(frame.Type, frame.Payload, out var ack) == AckResult.Ok && ((AckMessage)ack!).AckedType == (byte)e.Type)
            {
                _event = null;
            }
        }
        else if (frame.Version != FrameCodec.ProtocolVersion)
        {
            if (frame.AckRequested)
            {
                Answer(frame, new AckMessage(AckResult.UnsupportedVersion, frame.Type), cache: false);
            }
        }
        else if (frame.AckRequested && frame.MessageType != MessageType.Hello && _cache is { } c && c.Seq == frame.Seq && c.Type == frame.Type)
        {
            // A retransmit whose answer was lost: the same bytes again, not executed again (HELLO is never a duplicate).
            _duplicates++;
            _output.Enqueue(new DeviceOutput(c.Wire, IsAnswer: true));
        }
        else
        {
            OnRequest(frame, now);
        }

        FlushReport(now);
    }

    /// <summary>A valid request of version 1 that is not a duplicate, checked in the order of SPEC.md §5.3.</summary>
    private void OnRequest(Frame frame, DateTimeOffset now)
    {
        var answerIt = frame.AckRequested;
        if (frame.MessageType == MessageType.Hello && !answerIt)
        {
            return; // a session starts only with a HELLO that is answered (§5.2)
        }

        var result = AckResult.Ok;
        DisplayMessage? message = null;
        if (!DisplayMessages.IsHostRequest(frame.Type) || (frame.MessageType == MessageType.ShowResult && !IsV11))
        {
            result = AckResult.UnknownType; // whatever the payload; device → host types sent this way too
        }
        else if (!TryCheckMac(frame, out var fieldsLength))
        {
            result = AckResult.AuthFailed;
        }
        else
        {
            result = DisplayMessages.TryRead(frame.Type, frame.Payload[..fieldsLength], out message);
        }

        if (result == AckResult.Ok && message is SetStatusMessage status
            && (!OnScreen(status.PaymentId) || (status.Status == DisplayStatus.Waiting && Screen.Kind != DisplayScreenKind.Qr)))
        {
            result = AckResult.BadState; // another payment, or WAITING when the QR is no longer shown
        }

        if (result != AckResult.Ok)
        {
            if (answerIt)
            {
                Answer(frame, new AckMessage(result, frame.Type), cache: true);
            }

            return;
        }

        _executed[frame.MessageType] = ExecutedCount(frame.MessageType) + 1;
        DisplayMessage answer;
        switch (message)
        {
            case HelloMessage hello:
                OnHello(frame, hello);
                return;
            case EmptyMessage { Kind: MessageType.Ping }:
                answer = new PongMessage(BootId, unchecked((uint)(long)(now - _booted).TotalMilliseconds), Screen.Kind);
                break;
            case EmptyMessage { Kind: MessageType.GetState }:
                answer = new StateMessage(Screen.Kind, Screen.Status, Screen.SecondsLeft(now), Screen.PaymentId, IsV11 ? Counters : null);
                break;
            default:
                answer = new AckMessage(AckResult.Ok, frame.Type);
                break;
        }

        // Answer first (the host's RTO is running), then the slow work.
        if (answerIt)
        {
            Answer(frame, answer, cache: true);
        }

        if (answer is AckMessage)
        {
            Apply(message!, now);
        }
    }

    private void OnHello(Frame frame, HelloMessage hello)
    {
        if (hello.ProtoMajor != FrameCodec.ProtocolVersion)
        {
            Answer(frame, new AckMessage(AckResult.UnsupportedVersion, frame.Type), cache: false);
            return;
        }

        _helloSeen = true;
        _linkTimeout = hello.LinkTimeoutMs > 0 ? TimeSpan.FromMilliseconds(hello.LinkTimeoutMs) : _options.LinkTimeout;
        if (_event?.Type == MessageType.Boot)
        {
            _event = null; // HELLO ends the BOOT repeat
        }

        _cache = null; // a new host session: its seq may start at 1 again
        Answer(
            frame,
            new HelloAckMessage(
                FrameCodec.ProtocolVersion, _options.ProtocolMinor, BootId, _options.Mtu, (uint)Capabilities,
                _identity.FirmwareVersion, _identity.Model, _identity.Serial, IsV11 ? MacCounter : null),
            cache: true);
    }

    /// <summary>
    /// The MAC check of SPEC.md §6.5 (a device with a key only): SHOW_QR and SHOW_RESULT need a trailer whose tag matches
    /// and whose counter is above the last accepted one (which it then becomes); SET_STATUS is refused. False for
    /// AUTH_FAILED; <paramref name="fieldsLength"/> is the payload without its trailer.
    /// </summary>
    private bool TryCheckMac(Frame frame, out int fieldsLength)
    {
        fieldsLength = frame.Payload.Length;
        if (_macKey is null)
        {
            return true;
        }

        if (frame.MessageType == MessageType.SetStatus)
        {
            return false; // results come in SHOW_RESULT, which carries a tag
        }

        if (!QrMac.IsTagged(frame.Type))
        {
            return true;
        }

        if (!QrMac.TryVerify(_macKey, BootId, frame.Type, frame.Payload, MacCounter, out var counter, out fieldsLength))
        {
            return false;
        }

        MacCounter = counter; // accepted even if the fields then turn out BAD_PAYLOAD
        return true;
    }

    /// <summary>Applies an accepted command to the screen (SPEC.md §11.2).</summary>
    private void Apply(DisplayMessage message, DateTimeOffset now)
    {
        switch (message)
        {
            case ShowQrMessage qr when IsV11 && IsLatched(qr.PaymentId):
                return; // payment ids are immutable: a QR after its result is stale (a v1.0 host's re-sync, a late duplicate)
            case SetStatusMessage { Status: DisplayStatus.Waiting }:
                return; // WAITING on the QR screen changes nothing (on STATUS it was refused)
            case ShowIdleMessage or EmptyMessage { Kind: MessageType.Clear } or ShowQrMessage or SetStatusMessage or ShowResultMessage:
                // The host has decided what is shown: a pending or unacknowledged report is stale (§11.3).
                _pendingReport = 0;
                if (_event?.Type == MessageType.StateChanged)
                {
                    _event = null;
                }

                break;
        }

        var offline = Screen.Offline;
        switch (message)
        {
            case ShowIdleMessage idle:
                Draw(DeviceScreen.Blank with { Kind = DisplayScreenKind.Idle, MerchantName = idle.MerchantName, Line2 = idle.Line2, Offline = offline });
                break;
            case EmptyMessage { Kind: MessageType.Clear }:
                Draw(DeviceScreen.Blank with { Kind = DisplayScreenKind.Idle, Offline = offline });
                break;
            case ShowQrMessage qr:
                var countdownEnd = now + TimeSpan.FromSeconds(qr.SecondsLeft);
                var expired = qr.SecondsLeft == 0 && IsV11; // already expired: the QR is not drawn at all (§6.2)
                if (Screen.Kind == DisplayScreenKind.Qr && Screen.PaymentId == qr.PaymentId)
                {
                    if (expired)
                    {
                        ShowStatus(Screen, DisplayStatus.Expired, "");
                    }
                    else
                    {
                        Screen = Screen with { CountdownEnd = countdownEnd }; // the same payment: its content is immutable, no redraw
                    }

                    break;
                }

                var fresh = DeviceScreen.Blank with
                {
                    Kind = DisplayScreenKind.Qr, PaymentId = qr.PaymentId, AmountMinor = qr.AmountMinor, Currency = qr.Currency,
                    Exponent = qr.Exponent, MerchantName = qr.MerchantName, Qr = qr.Qr, Status = DisplayStatus.Waiting,
                    CountdownEnd = countdownEnd, Offline = offline,
                };
                if (expired)
                {
                    ShowStatus(fresh with { Kind = DisplayScreenKind.Blank }, DisplayStatus.Expired, "");
                }
                else
                {
                    Draw(fresh);
                }

                break;
            case SetStatusMessage status:
                ShowStatus(Screen, status.Status, status.Message);
                _redraw = true; // the message may be new
                break;
            case ShowResultMessage result:
                var onScreen = OnScreen(result.PaymentId);
                var content = onScreen
                    ? Screen
                    : DeviceScreen.Blank with
                    {
                        PaymentId = result.PaymentId, AmountMinor = result.AmountMinor, Currency = result.Currency, Exponent = result.Exponent,
                        MerchantName = result.MerchantName, Offline = offline,
                    };
                ShowStatus(content, result.Status, result.Message);
                break;
            case SetConfigMessage config:
                Brightness = config.Brightness ?? Brightness;
                BeepOnResult = config.BeepOnResult is { } beep ? beep == 1 : BeepOnResult;
                Language = config.Language ?? Language;
                if (Screen.Language != (DisplayLanguage)Language)
                {
                    Screen = Screen with { Language = (DisplayLanguage)Language }; // its own texts change language; not a new screen (sessions.txt: same)
                }

                break;
            case BeepMessage { Repeat: > 0 }:
                Beeps++; // repeat 0 plays nothing
                break;
        }
    }

    /// <summary>
    /// The STATUS screen of <paramref name="status"/> for the payment of <paramref name="content"/> (the screen itself,
    /// or a new payment's content): a new result is drawn and beeped; v1.1 latches the payment either way.
    /// </summary>
    private void ShowStatus(DeviceScreen content, DisplayStatus status, string message)
    {
        var changed = !ReferenceEquals(content, Screen) || Screen.Kind != DisplayScreenKind.Status || Screen.Status != status;
        var next = content with { Kind = DisplayScreenKind.Status, Status = status, Message = message, CountdownEnd = null, Qr = "" };
        if (IsV11 && next.PaymentId.Length > 0 && !IsLatched(next.PaymentId))
        {
            _latch[_latchNext] = next.PaymentId;
            _latchNext = (_latchNext + 1) % LatchCapacity;
        }

        if (changed)
        {
            Draw(next);
            Beeps += BeepOnResult ? 1 : 0;
        }
        else
        {
            Screen = next; // the same result again: not drawn again, no beep
        }
    }

    private void Draw(DeviceScreen screen)
    {
        Screen = screen with { Language = (DisplayLanguage)Language };
        _redraw = true;
    }

    private bool OnScreen(string paymentId) =>
        Screen.Kind is DisplayScreenKind.Qr or DisplayScreenKind.Status && Screen.PaymentId == paymentId;

    /// <summary>A pending STATE_CHANGED goes out once the host has said HELLO and the link is up.</summary>
    private void FlushReport(DateTimeOffset now)
    {
        if (_pendingReport == 0 || !_helloSeen || !_linkUp)
        {
            return;
        }

        var reason = _pendingReport;
        _pendingReport = 0;
        SendEvent(new StateChangedMessage(Screen.Kind, Screen.Status, Screen.SecondsLeft(now), Screen.PaymentId, reason), now);
    }

    private void SendBoot(DateTimeOffset now)
    {
        _bootSent = now;
        SendEvent(new BootMessage(BootId, _options.ResetReason, _identity.FirmwareVersion, _identity.Model), now);
    }

    /// <summary>One event in flight: a newer one replaces it (the host wants the latest state, not the history).</summary>
    private void SendEvent(DisplayMessage message, DateTimeOffset now)
    {
        var seq = _seq.Next();
        var wire = FrameCodec.Encode(message.Type, FrameOptions.AckRequested, seq, message.ToPayload());
        _event = new PendingEvent(seq, message.Type, wire) { Sent = now };
        _output.Enqueue(new DeviceOutput(wire, IsAnswer: false));
    }

    private void Answer(Frame request, DisplayMessage answer, bool cache)
    {
        var wire = FrameCodec.Encode(answer.Type, FrameOptions.Response, request.Seq, answer.ToPayload());
        if (cache)
        {
            _cache = new Cached(request.Seq, request.Type, wire);
        }

        _output.Enqueue(new DeviceOutput(wire, IsAnswer: true));
    }

    private static uint RandomBootId()
    {
        uint id;
        do
        {
            id = (uint)System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        }
        while (id == 0);
        return id;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private sealed record Cached(byte Seq, byte Type, byte[] Wire);

    private sealed class PendingEvent(byte seq, MessageType type, byte[] wire)
    {
        public byte Seq { get; } = seq;

        public MessageType Type { get; } = type;

        public byte[] Wire { get; } = wire;

        public int Retries { get; set; }

        public DateTimeOffset Sent { get; set; }
    }
}
