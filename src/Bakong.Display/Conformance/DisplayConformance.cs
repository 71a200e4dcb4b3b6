using System.Buffers.Binary;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Display.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Display.Conformance;

/// <summary>What to check: a display on <see cref="PortName"/>, at <see cref="BaudRate"/> (its RTO follows, SPEC.md §8.2).</summary>
public sealed record ConformanceOptions
{
    public required string PortName { get; init; }

    /// <summary>The UART's rate; 0 for a link without one (USB-CDC, a pseudo-terminal: the RTO is 250 ms).</summary>
    public int BaudRate { get; init; } = 115200;

    /// <summary>
    /// How long a request waits for its answer before it counts as unanswered. Only a patience: the deadline check judges
    /// the measured latencies against the RTO, so a longer wait (a slow bridge, a busy machine) never passes a late device.
    /// </summary>
    public TimeSpan AnswerTimeout { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>One check of a conformance run: its id, the SPEC.md section it checks, what it checks, and what was seen.</summary>
public sealed record ConformanceCheck(string Id, string Section, string Title, bool Passed, string Detail);

/// <summary>Who the device said it is (HELLO_ACK).</summary>
public sealed record ConformanceDevice(uint BootId, byte ProtocolMinor, int Mtu, DeviceCapabilities Capabilities, string Firmware, string Model, string Serial);

/// <summary>A conformance run: the port, the device, every check in order.</summary>
public sealed record ConformanceReport(string PortName, int BaudRate, ConformanceDevice? Device, IReadOnlyList<ConformanceCheck> Checks)
{
    public bool Passed => Checks.All(c => c.Passed);
}

/// <summary>
/// <c>bakong display conformance</c>: plays the host against a display on a serial port and checks, over the wire, what
/// SPEC.md requires of a device: BOOT and its repetition, the handshake and versions, every host command, the check
/// order of answers, the screen model, de-duplication, the answer deadline at the link's baud rate, the link-lost
/// report, event retransmits and give-up, recovery from garbage and the drop counters, the v1.1 result latch, and
/// that nothing but frames comes out of the port. Real time throughout: it is a device on a real port.
/// </summary>
/// <remarks>
/// Timing checks are as generous as the SPEC allows, so a busy host does not fail a good device: an answer is late only
/// past the host's RTO (not the 20 ms it SHOULD take), and the deadline is judged on the median of several requests.
/// The display's visible "offline" mark cannot be seen over the wire; its link-lost state is checked through what it
/// reports when the link returns.
/// </remarks>
public static class DisplayConformance
{
    /// <summary>
    /// Opens the port (its input is not discarded: what the device wrote at boot counts), calls
    /// <paramref name="onOpened"/> (the moment to reset or plug in the display), runs every check, closes the port.
    /// </summary>
    /// <exception cref="IOException">The port does not exist or cannot be opened.</exception>
    public static async Task<ConformanceReport> RunAsync(
        ConformanceOptions options, TimeProvider clock, Func<Task>? onOpened, Func<ConformanceCheck, Task>? onCheck, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        var portOptions = new DisplayPortOptions { PortName = options.PortName, BaudRate = options.BaudRate > 0 ? options.BaudRate : 115200 };
        var connection = SerialPortConnection.Open(portOptions, clock, NullLogger.Instance, discardInput: false);
        try
        {
            if (onOpened is not null)
            {
                await onOpened().ConfigureAwait(false);
            }

            return await RunAsync(connection.Stream, options, clock, onCheck, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs every check over an open stream to a device.</summary>
    public static async Task<ConformanceReport> RunAsync(
        Stream stream, ConformanceOptions options, TimeProvider clock, Func<ConformanceCheck, Task>? onCheck, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var port = new ConformancePort(stream, clock, options.AnswerTimeout);
        var run = new ConformanceRun(port, options, clock, onCheck);
        await run.RunAsync(cancellationToken).ConfigureAwait(false);
        return new ConformanceReport(options.PortName, options.BaudRate, run.Device, run.Checks);
    }
}

/// <summary>The checks, in the order they run; each one leaves the device usable for the next.</summary>
internal sealed class ConformanceRun(ConformancePort port, ConformanceOptions options, TimeProvider clock, Func<ConformanceCheck, Task>? onCheck)
{
    private const string Merchant = "Conformance";
    private readonly HostLinkOptions _timing = new() { BaudRate = options.BaudRate };
    private uint? _bootId;
    private long? _helloAckAt;

    public List<ConformanceCheck> Checks { get; } = [];

    public ConformanceDevice? Device { get; private set; }

    private bool V11 => Device?.ProtocolMinor >= 1;

    public async Task RunAsync(CancellationToken ct)
    {
        await BootRepeatsAsync(ct).ConfigureAwait(false);
        await HandshakeAsync(ct).ConfigureAwait(false);
        if (Device is null)
        {
            await AddAsync("commands", "§6.4", "every host command is implemented", false, "not run: no handshake").ConfigureAwait(false);
            await FramesOnlyAsync().ConfigureAwait(false);
            return;
        }

        await QrMacAsync().ConfigureAwait(false);
        await VersionsAsync(ct).ConfigureAwait(false);
        await HelloNeedsAckAsync(ct).ConfigureAwait(false);
        await CommandsAsync(ct).ConfigureAwait(false);
        await CheckOrderAsync(ct).ConfigureAwait(false);
        await ScreenModelAsync(ct).ConfigureAwait(false);
        await DeduplicationAsync(ct).ConfigureAwait(false);
        await AnswerDeadlineAsync(ct).ConfigureAwait(false);
        await LinkLostAsync(ct).ConfigureAwait(false);
        await EventRetransmitsAsync(ct).ConfigureAwait(false);
        await GarbageAsync(ct).ConfigureAwait(false);
        await ResultLatchAsync(ct).ConfigureAwait(false);
        await BootStopsAsync().ConfigureAwait(false);
        await FramesOnlyAsync().ConfigureAwait(false);
    }

    /// <summary>§9.1: BOOT (non-zero boot id), and a new BOOT with the next seq every second until HELLO, ACKed or not.</summary>
    private async Task BootRepeatsAsync(CancellationToken ct)
    {
        var first = await WaitForAsync(f => f.Message is BootMessage, TimeSpan.FromSeconds(3), ct).ConfigureAwait(false);
        if (first?.Message is not BootMessage boot)
        {
            await AddAsync("boot-repeats", "§9.1", "BOOT, repeated every second until HELLO", false,
                "no BOOT in 3 s (start the check, then reset or plug in the display; a display that had a HELLO sends none)").ConfigureAwait(false);
            return;
        }

        _bootId = boot.BootId;
        var next = await WaitForAsync(f => f.Message is BootMessage && f.Frame.Seq != first.Frame.Seq, TimeSpan.FromSeconds(2.2), ct).ConfigureAwait(false);
        var detail = next is null
            ? $"BOOT seq {first.Frame.Seq} (boot {boot.BootId:x8}), then no new BOOT within 2.2 s"
            : $"BOOT seq {first.Frame.Seq}, then seq {next.Frame.Seq} {Ms(port.Elapsed(first.Timestamp, next.Timestamp))} later (boot {boot.BootId:x8})";
        await AddAsync("boot-repeats", "§9.1", "BOOT, repeated every second until HELLO", next is not null && boot.BootId != 0, detail).ConfigureAwait(false);
    }

    /// <summary>§9.1: HELLO → HELLO_ACK with major 1, the BOOT's boot id, an MTU of at least 640.</summary>
    private async Task HandshakeAsync(CancellationToken ct)
    {
        var (answer, _) = await port.RequestAsync(Hello(10_000), ct).ConfigureAwait(false);
        if (answer?.Message is not HelloAckMessage ack)
        {
            await AddAsync("handshake", "§9.1", "HELLO is answered with HELLO_ACK", false, answer is null ? "no answer to HELLO in 2 s" : "answered " + Describe(answer.Message)).ConfigureAwait(false);
            return;
        }

        _helloAckAt = answer.At;
        Device = new ConformanceDevice(ack.BootId, ack.ProtoMinor, ack.Mtu, ack.CapabilityFlags, ack.FwVersion, ack.Model, ack.Serial);
        var problems = new List<string>();
        if (ack.ProtoMajor != 1)
        {
            problems.Add("proto_major " + ack.ProtoMajor);
        }

        if (_bootId is { } boot && boot != ack.BootId)
        {
            problems.Add($"boot id {ack.BootId:x8}, BOOT said {boot:x8}");
        }

        if (ack.Mtu < FrameCodec.MaxHeaderAndPayload)
        {
            problems.Add("mtu " + ack.Mtu + " (must accept 640)");
        }

        await AddAsync("handshake", "§9.1", "HELLO is answered with HELLO_ACK", problems.Count == 0,
            problems.Count == 0 ? $"protocol 1.{ack.ProtoMinor}, boot {ack.BootId:x8}, MTU {ack.Mtu}" : string.Join("; ", problems)).ConfigureAwait(false);
    }

    /// <summary>§6.5: a device that requires the QR MAC cannot be checked without its key.</summary>
    private async Task QrMacAsync()
    {
        if ((Device!.Capabilities & DeviceCapabilities.QrMac) != 0)
        {
            await AddAsync("qr-mac", "§6.5", "QR and result screens without a key", false,
                "the device requires a QR MAC key (capability QR_MAC): the screen checks below cannot pass without it").ConfigureAwait(false);
        }
    }

    /// <summary>§9.3: another major version is refused with UNSUPPORTED_VERSION (in a version 1 frame), and changes nothing.</summary>
    private async Task VersionsAsync(CancellationToken ct)
    {
        var problems = new List<string>();
        var (hello2, _) = await port.RequestAsync(Hello(10_000, major: 2), ct).ConfigureAwait(false);
        if (Ack(hello2) != AckResult.UnsupportedVersion)
        {
            problems.Add("HELLO proto_major 2: " + Describe(hello2?.Message));
        }

        var ping2 = FrameCodec.Encode(MessageType.Ping, FrameOptions.AckRequested, port.NextSeq(), [], version: 2);
        var (answer, _) = await port.RequestAsync(ping2, ct).ConfigureAwait(false);
        if (Ack(answer) != AckResult.UnsupportedVersion || answer!.Frame.Version != 1)
        {
            problems.Add("a version 2 frame: " + Describe(answer?.Message));
        }

        var (ping, _) = await port.RequestAsync(new EmptyMessage(MessageType.Ping), ct).ConfigureAwait(false);
        if (ping?.Message is not PongMessage pong || pong.BootId != Device!.BootId)
        {
            problems.Add("then PING: " + Describe(ping?.Message));
        }

        await AddAsync("versions", "§9.3", "another major version is refused with UNSUPPORTED_VERSION", problems.Count == 0,
            problems.Count == 0 ? "HELLO 2.x and a version 2 frame refused; the device still answers" : string.Join("; ", problems)).ConfigureAwait(false);
    }

    /// <summary>§5.2: a HELLO without ACK_REQUESTED is ignored (not answered).</summary>
    private async Task HelloNeedsAckAsync(CancellationToken ct)
    {
        var seq = port.NextSeq();
        await port.WriteAsync(FrameCodec.Encode(MessageType.Hello, FrameOptions.None, seq, Hello(10_000).ToPayload()), ct).ConfigureAwait(false);
        var answered = await WaitForAsync(f => f.Frame.IsResponse && f.Frame.Seq == seq, TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        await AddAsync("hello-needs-ack", "§5.2", "a HELLO without ACK_REQUESTED is ignored", answered is null,
            answered is null ? "no answer in 1 s" : "answered " + Describe(answered.Message)).ConfigureAwait(false);
    }

    /// <summary>§6.4: every host → device message is implemented (none answered UNKNOWN_TYPE) with the right kind of answer.</summary>
    private async Task CommandsAsync(CancellationToken ct)
    {
        var problems = new List<string>();
        async Task Expect(DisplayMessage message, Func<DisplayMessage?, bool> good, string what)
        {
            var (answer, _) = await port.RequestAsync(message, ct).ConfigureAwait(false);
            if (!good(answer?.Message))
            {
                problems.Add(what + ": " + Describe(answer?.Message));
            }
        }

        await Expect(new EmptyMessage(MessageType.Ping), m => m is PongMessage p && p.BootId == Device!.BootId, "PING").ConfigureAwait(false);
        await Expect(new EmptyMessage(MessageType.GetState), m => m is StateMessage s && (!V11 || s.Counters is not null), "GET_STATE").ConfigureAwait(false);
        await Expect(new ShowIdleMessage(Merchant, "line 2"), IsOk, "SHOW_IDLE").ConfigureAwait(false);
        await Expect(Qr("CF-CMD-1", 300), IsOk, "SHOW_QR").ConfigureAwait(false);
        await Expect(new SetStatusMessage("CF-CMD-1", DisplayStatus.Paid, "Thank you"), IsOk, "SET_STATUS").ConfigureAwait(false);
        await Expect(new EmptyMessage(MessageType.Clear), IsOk, "CLEAR").ConfigureAwait(false);
        if (V11)
        {
            await Expect(Result("CF-CMD-2", DisplayStatus.Paid), IsOk, "SHOW_RESULT").ConfigureAwait(false);
        }

        await Expect(new SetConfigMessage(80, 1, 0), IsOk, "SET_CONFIG").ConfigureAwait(false);
        await Expect(new SetConfigMessage(null, null, null), IsOk, "an empty SET_CONFIG").ConfigureAwait(false);
        await Expect(new BeepMessage(1, 1), IsOk, "BEEP").ConfigureAwait(false);
        await Expect(new BeepMessage(2, 0), IsOk, "BEEP repeat 0").ConfigureAwait(false);
        await AddAsync("commands", "§6.4", "every host command is implemented", problems.Count == 0,
            problems.Count == 0 ? (V11 ? "11 commands answered as required" : "10 commands answered as required (SHOW_RESULT is v1.1)") : string.Join("; ", problems)).ConfigureAwait(false);
    }

    /// <summary>§5.3: unknown or wrong-direction types are UNKNOWN_TYPE whatever the payload; bad payloads and values are BAD_PAYLOAD.</summary>
    private async Task CheckOrderAsync(CancellationToken ct)
    {
        var problems = new List<string>();
        async Task Expect(byte type, byte[] payload, AckResult expected, string what)
        {
            var (answer, _) = await port.RequestAsync(FrameCodec.Encode((MessageType)type, FrameOptions.AckRequested, port.NextSeq(), payload), ct).ConfigureAwait(false);
            if (Ack(answer) != expected)
            {
                problems.Add(what + ": " + Describe(answer?.Message));
            }
        }

        var qr = Qr("CF-ORDER-1", 300).ToPayload();
        await Expect(0x7E, [1, 2], AckResult.UnknownType, "unknown type 0x7E").ConfigureAwait(false);
        await Expect((byte)MessageType.StateChanged, [0xFF], AckResult.UnknownType, "STATE_CHANGED (device to host) with a bad payload").ConfigureAwait(false);
        await Expect((byte)MessageType.ShowQr, qr[..10], AckResult.BadPayload, "a truncated SHOW_QR").ConfigureAwait(false);
        await Expect((byte)MessageType.SetConfig, [SetConfigMessage.BrightnessKey, 1, 101], AckResult.BadPayload, "SET_CONFIG brightness 101").ConfigureAwait(false);
        if (V11)
        {
            await Expect((byte)MessageType.ShowQr, (Qr("CF-ORDER-2", 300) with { Currency = 0 }).ToPayload(), AckResult.BadPayload, "SHOW_QR currency 0").ConfigureAwait(false);
            await Expect((byte)MessageType.ShowResult, Result("CF-ORDER-3", DisplayStatus.Waiting).ToPayload(), AckResult.BadPayload, "SHOW_RESULT WAITING").ConfigureAwait(false);
        }

        await AddAsync("check-order", "§5.3", "requests are refused in the order of checks", problems.Count == 0,
            problems.Count == 0 ? "UNKNOWN_TYPE before the payload, BAD_PAYLOAD for bad fields and values" : string.Join("; ", problems)).ConfigureAwait(false);
    }

    /// <summary>§11.2: what each command does to the screen, as STATE reports it.</summary>
    private async Task ScreenModelAsync(CancellationToken ct)
    {
        var steps = new List<(DisplayMessage Command, AckResult Ack, string Screen)>
        {
            (new ShowIdleMessage(Merchant, ""), AckResult.Ok, "IDLE NONE -"),
            (Qr("CF-SCREEN-1", 300), AckResult.Ok, "QR WAITING CF-SCREEN-1"),
            (new SetStatusMessage("CF-SCREEN-1", DisplayStatus.Waiting, ""), AckResult.Ok, "QR WAITING CF-SCREEN-1"),
            (new SetStatusMessage("CF-SCREEN-9", DisplayStatus.Paid, ""), AckResult.BadState, "QR WAITING CF-SCREEN-1"),
            (new SetStatusMessage("CF-SCREEN-1", DisplayStatus.Paid, ""), AckResult.Ok, "STATUS PAID CF-SCREEN-1"),
            (new SetStatusMessage("CF-SCREEN-1", DisplayStatus.Waiting, ""), AckResult.BadState, "STATUS PAID CF-SCREEN-1"),
            (new EmptyMessage(MessageType.Clear), AckResult.Ok, "IDLE NONE -"),
        };
        if (V11)
        {
            steps.Add((Result("CF-SCREEN-2", DisplayStatus.Failed), AckResult.Ok, "STATUS FAILED CF-SCREEN-2"));
            steps.Add((Qr("CF-SCREEN-3", 0), AckResult.Ok, "STATUS EXPIRED CF-SCREEN-3"));
        }

        string? problem = null;
        foreach (var (command, expected, screen) in steps)
        {
            var (answer, _) = await port.RequestAsync(command, ct).ConfigureAwait(false);
            var state = await StateAsync(ct).ConfigureAwait(false);
            if (Ack(answer) != expected || Screen(state) != screen)
            {
                problem = $"{Describe(command)}: {Describe(answer?.Message)}, then {Screen(state)} (expected {expected}, then {screen})";
                break;
            }
        }

        await AddAsync("screen-model", "§11.2", "each command changes the screen as the table says", problem is null,
            problem ?? steps.Count + " commands, STATE after each as required").ConfigureAwait(false);
    }

    /// <summary>§5.5: a retransmit gets the byte-identical answer and is not executed again; HELLO clears the cache.</summary>
    private async Task DeduplicationAsync(CancellationToken ct)
    {
        var problems = new List<string>();
        var before = await StateAsync(ct).ConfigureAwait(false);
        var seq = port.NextSeq();
        var wire = FrameCodec.Encode(MessageType.ShowQr, FrameOptions.AckRequested, seq, Qr("CF-DUP-1", 300).ToPayload());
        var (first, _) = await port.RequestAsync(wire, ct).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(1.2), clock, ct).ConfigureAwait(false);
        var (again, _) = await port.RequestAsync(wire, ct).ConfigureAwait(false);
        var after = await StateAsync(ct).ConfigureAwait(false);
        if (first is null || again is null || first.Frame.Type != again.Frame.Type || !first.Frame.Payload.AsSpan().SequenceEqual(again.Frame.Payload))
        {
            problems.Add("the retransmit's answer was not the first answer again: " + Describe(first?.Message) + " then " + Describe(again?.Message));
        }

        if (after is null || after.SecondsLeft >= 300)
        {
            problems.Add("the retransmitted SHOW_QR was executed again (its countdown restarted: " + after?.SecondsLeft + " s left after 1.2 s)");
        }

        if (V11 && before?.Counters is { } c0 && after?.Counters is { } c1 && c1.Duplicates - c0.Duplicates != 1)
        {
            problems.Add($"STATE counted {c1.Duplicates - c0.Duplicates} duplicates, not 1");
        }

        // A new host session may start its seq again: after HELLO the same seq and type is a new request.
        var reused = port.NextSeq();
        await port.RequestAsync(FrameCodec.Encode(MessageType.ShowQr, FrameOptions.AckRequested, reused, Qr("CF-DUP-2", 300).ToPayload()), ct).ConfigureAwait(false);
        await port.RequestAsync(Hello(10_000), ct).ConfigureAwait(false);
        await port.RequestAsync(FrameCodec.Encode(MessageType.ShowQr, FrameOptions.AckRequested, reused, Qr("CF-DUP-3", 300).ToPayload()), ct).ConfigureAwait(false);
        if (Screen(await StateAsync(ct).ConfigureAwait(false)) != "QR WAITING CF-DUP-3")
        {
            problems.Add("after HELLO a request with the last seq and type was taken for a duplicate");
        }

        await AddAsync("deduplication", "§5.5", "duplicates are answered again, not executed again; HELLO clears the cache", problems.Count == 0,
            problems.Count == 0 ? "a retransmit 1.2 s later: the same answer, the countdown not restarted" : string.Join("; ", problems)).ConfigureAwait(false);
    }

    /// <summary>§5.3, §8: answers come at once: the median of several is within the host's RTO at this link's rate.</summary>
    private async Task AnswerDeadlineAsync(CancellationToken ct)
    {
        var latencies = new List<TimeSpan>();
        var ping = new EmptyMessage(MessageType.Ping);
        for (var i = 0; i < 7; i++)
        {
            var (answer, _) = await port.RequestAsync(ping, ct).ConfigureAwait(false);
            latencies.Add(answer?.Latency ?? options.AnswerTimeout);
        }

        latencies.Sort();
        var median = latencies[latencies.Count / 2];
        var rto = _timing.RtoFor(FrameCodec.Encode(MessageType.Ping, FrameOptions.AckRequested, 1, []).Length, MessageType.Ping);
        var link = options.BaudRate > 0 ? options.BaudRate + " baud" : "USB-CDC";
        await AddAsync("answer-deadline", "§8", "answers come at once (within the host's RTO)", median <= rto,
            $"median {Ms(median)}, max {Ms(latencies[^1])} over 7 PINGs; the RTO at {link} is {Ms(rto)} (an answer SHOULD leave within 20 ms)").ConfigureAwait(false);
    }

    /// <summary>§9.2, §11.3: silent past link_timeout_ms, the device holds its local expiry report and sends it when the host returns.</summary>
    private async Task LinkLostAsync(CancellationToken ct)
    {
        var problems = new List<string>();
        await port.RequestAsync(Hello(1000), ct).ConfigureAwait(false);
        await port.RequestAsync(Qr("CF-LOST-1", 2), ct).ConfigureAwait(false);
        var whileLost = await port.CollectAsync(TimeSpan.FromSeconds(3), ct).ConfigureAwait(false); // lost after 1 s, expired after 2 s
        if (whileLost.Any(f => f.Message is StateChangedMessage))
        {
            problems.Add("STATE_CHANGED was sent while the link was lost");
        }

        var (answer, others) = await port.RequestAsync(new EmptyMessage(MessageType.GetState), ct).ConfigureAwait(false);
        var later = others.Concat(await port.CollectAsync(TimeSpan.FromSeconds(1.5), ct).ConfigureAwait(false));
        if (Screen(answer?.Message as StateMessage) != "STATUS EXPIRED CF-LOST-1")
        {
            problems.Add("after its countdown ran out offline the device shows " + Screen(answer?.Message as StateMessage));
        }

        if (!later.Any(f => f.Message is StateChangedMessage { Reason: StateChangedMessage.ExpiredLocally, PaymentId: "CF-LOST-1" }))
        {
            problems.Add("no STATE_CHANGED {expired_locally} once the host was back");
        }

        await port.RequestAsync(Hello(10_000), ct).ConfigureAwait(false);
        await AddAsync("link-lost", "§9.2, §11.3", "a lost link keeps the report of a local expiry until the host returns", problems.Count == 0,
            problems.Count == 0 ? "silent 3 s with link_timeout_ms 1000: no report meanwhile, EXPIRED shown, expired_locally sent on the next frame (the offline mark itself is not visible over the wire)" : string.Join("; ", problems)).ConfigureAwait(false);
    }

    /// <summary>§5.4: an unanswered STATE_CHANGED is sent 4 times (byte-identical), a wrong ACK does not stop it, then it is given up.</summary>
    private async Task EventRetransmitsAsync(CancellationToken ct)
    {
        port.AckEvents = false;
        List<Arrived> reports;
        try
        {
            await port.RequestAsync(Qr("CF-EVENT-1", 1), ct).ConfigureAwait(false);
            var first = await WaitForAsync(f => f.Message is StateChangedMessage, TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
            reports = first is null ? [] : [first];
            if (first is not null)
            {
                // An ACK of another type is not an answer to it (§5.4).
                var wrong = new AckMessage(AckResult.Ok, (byte)MessageType.Boot);
                await port.WriteAsync(FrameCodec.Encode(MessageType.Ack, FrameOptions.Response, first.Frame.Seq, wrong.ToPayload()), ct).ConfigureAwait(false);
                reports.AddRange((await port.CollectAsync(TimeSpan.FromSeconds(2.5), ct).ConfigureAwait(false)).Where(f => f.Message is StateChangedMessage));
            }
        }
        finally
        {
            port.AckEvents = true;
        }

        var identical = reports.Count > 0 && reports.All(r => r.Frame.Seq == reports[0].Frame.Seq && r.Frame.Payload.AsSpan().SequenceEqual(reports[0].Frame.Payload));
        var gaps = reports.Zip(reports.Skip(1), (a, b) => port.Elapsed(a.Timestamp, b.Timestamp)).ToList();

        // Three RTOs (250 ms each) from the first to the last; judged on the span, not each gap, because the port and this
        // host may deliver two transmissions together. A device that does not wait for its RTO sends all four at once.
        var spaced = reports.Count < 2 || port.Elapsed(reports[0].Timestamp, reports[^1].Timestamp) >= TimeSpan.FromMilliseconds(450);
        var passed = reports.Count == 4 && identical && spaced;
        var detail = reports.Count == 0
            ? "no STATE_CHANGED {expired_locally} after a 1 s countdown"
            : $"{reports.Count} transmissions (4 expected){(identical ? "" : ", not identical")}, {string.Join(", ", gaps.Select(Ms))} apart, then silence";
        await AddAsync("event-retransmits", "§5.4", "an unanswered event is retransmitted 3 times, then given up", passed, detail).ConfigureAwait(false);
    }

    /// <summary>§4, §12: any bytes leave the receiver able to take the next frame; each dropped candidate counts once, by its reason.</summary>
    private async Task GarbageAsync(CancellationToken ct)
    {
        var before = await StateAsync(ct).ConfigureAwait(false);
        await port.WriteAsync(Garbage(), ct).ConfigureAwait(false);
        var (pong, _) = await port.RequestAsync(new EmptyMessage(MessageType.Ping), ct).ConfigureAwait(false);
        await AddAsync("garbage-recovery", "§4", "garbage costs only itself: the next frame is taken", pong?.Message is PongMessage,
            pong?.Message is PongMessage ? "five bad candidates (one of each drop reason), then PING answered" : "then PING: " + Describe(pong?.Message)).ConfigureAwait(false);
        if (!V11)
        {
            return;
        }

        var after = await StateAsync(ct).ConfigureAwait(false);
        var counted = Enum.GetValues<FrameError>().Select(r => (Reason: FrameDrops.LabelOf(r), Added: (long)(after?.Counters?.DropsOf(r) ?? 0) - (before?.Counters?.DropsOf(r) ?? 0))).ToList();
        await AddAsync("drop-counters", "§12", "STATE counts each drop once, by reason", counted.All(c => c.Added == 1),
            string.Join(", ", counted.Select(c => c.Reason + " +" + c.Added))).ConfigureAwait(false);
    }

    /// <summary>§11.2 (v1.1): the QR of a payment whose result was drawn is never drawn again in this boot (8 at least).</summary>
    private async Task ResultLatchAsync(CancellationToken ct)
    {
        if (!V11)
        {
            await AddAsync("result-latch", "§11.2", "no QR after its result (v1.1)", true, "not required of a v1.0 device").ConfigureAwait(false);
            return;
        }

        string? problem = null;
        async Task Expect(string what, string screen)
        {
            var state = Screen(await StateAsync(ct).ConfigureAwait(false));
            if (problem is null && state != screen)
            {
                problem = $"{what}: the device shows {state}";
            }
        }

        await port.RequestAsync(Qr("CF-LATCH-1", 300), ct).ConfigureAwait(false);
        await port.RequestAsync(Result("CF-LATCH-1", DisplayStatus.Paid), ct).ConfigureAwait(false);
        var (again, _) = await port.RequestAsync(Qr("CF-LATCH-1", 300), ct).ConfigureAwait(false);
        if (!IsOk(again?.Message))
        {
            problem = "SHOW_QR after the payment's result: " + Describe(again?.Message) + " (an ignored SHOW_QR is answered OK)";
        }

        await Expect("SHOW_QR after the payment's result", "STATUS PAID CF-LATCH-1");

        // A v1.0 host's re-sync: HELLO, SHOW_QR, SET_STATUS.
        await port.RequestAsync(Hello(10_000, minor: 0), ct).ConfigureAwait(false);
        await port.RequestAsync(Qr("CF-LATCH-1", 300), ct).ConfigureAwait(false);
        await Expect("a v1.0 host's re-sync (SHOW_QR)", "STATUS PAID CF-LATCH-1");
        await port.RequestAsync(new SetStatusMessage("CF-LATCH-1", DisplayStatus.Paid, ""), ct).ConfigureAwait(false);
        await port.RequestAsync(Hello(10_000), ct).ConfigureAwait(false);

        for (var i = 1; i <= 8; i++)
        {
            await port.RequestAsync(Result("CF-RING-" + i, DisplayStatus.Paid), ct).ConfigureAwait(false);
        }

        for (var i = 1; i <= 8; i++)
        {
            await port.RequestAsync(new ShowIdleMessage(Merchant, ""), ct).ConfigureAwait(false);
            await port.RequestAsync(Qr("CF-RING-" + i, 300), ct).ConfigureAwait(false);
            await Expect($"SHOW_QR of the {Ordinal(9 - i)} last payment with a result", "IDLE NONE -");
        }

        await AddAsync("result-latch", "§11.2", "no QR after its result (v1.1)", problem is null,
            problem ?? "a settled payment's SHOW_QR changes nothing: directly, in a v1.0 host's re-sync, for each of the last 8 results").ConfigureAwait(false);
    }

    /// <summary>§9.1: HELLO stops the BOOT repetition.</summary>
    private async Task BootStopsAsync()
    {
        var boots = _helloAckAt is { } at ? port.Log.Count(f => f.Message is BootMessage && f.Timestamp > at) : 0;
        await AddAsync("boot-stops", "§9.1", "no BOOT after HELLO (same boot)", boots == 0,
            boots == 0 ? "none" : boots + " BOOT frames after the HELLO_ACK").ConfigureAwait(false);
    }

    /// <summary>§2: nothing but frames comes out of the port (no boot banner, no debug text).</summary>
    private async Task FramesOnlyAsync()
    {
        var drops = port.Drops;
        await AddAsync("frames-only", "§2", "nothing but frames on the port", drops == 0,
            drops == 0 ? "every byte the device wrote was part of a valid frame"
                : drops + " candidates dropped: bytes outside frames (a banner or debug text; if the display was already running when the check opened the port, reset it after starting the check)").ConfigureAwait(false);
    }

    private async Task<StateMessage?> StateAsync(CancellationToken ct) =>
        (await port.RequestAsync(new EmptyMessage(MessageType.GetState), ct).ConfigureAwait(false)).Answer?.Message as StateMessage;

    private async Task<Arrived?> WaitForAsync(Func<Arrived, bool> predicate, TimeSpan timeout, CancellationToken ct)
    {
        var end = port.Now + (long)(timeout.TotalSeconds * clock.TimestampFrequency);
        while (port.Now < end)
        {
            if (await port.NextAsync(clock.GetElapsedTime(port.Now, end), ct).ConfigureAwait(false) is { } frame && predicate(frame))
            {
                return frame;
            }
        }

        return null;
    }

    private async Task AddAsync(string id, string section, string title, bool passed, string detail)
    {
        var check = new ConformanceCheck(id, section, title, passed, detail);
        Checks.Add(check);
        if (onCheck is not null)
        {
            await onCheck(check).ConfigureAwait(false);
        }
    }

    private static HelloMessage Hello(ushort linkTimeoutMs, byte major = FrameCodec.ProtocolVersion, byte minor = FrameCodec.ProtocolMinor) =>
        new(major, minor, 0, 1000, linkTimeoutMs, "bakong-conformance");

    private static ShowQrMessage Qr(string paymentId, ushort secondsLeft) =>
        new(paymentId, 25000, 116, 0, 0, secondsLeft, Merchant, "00020101021229190015conformance@bkdt5204599953031165405250005802KH");

    private static ShowResultMessage Result(string paymentId, DisplayStatus status) => new(paymentId, status, 25000, 116, 0, Merchant, "");

    private static bool IsOk(DisplayMessage? answer) => answer is AckMessage { Result: AckResult.Ok };

    private static AckResult? Ack(Answered? answer) => (answer?.Message as AckMessage)?.Result;

    private static string Screen(StateMessage? state) =>
        state is null ? "no STATE" : $"{state.Screen.ToString().ToUpperInvariant()} {state.Status.ToString().ToUpperInvariant()} {(state.PaymentId.Length == 0 ? "-" : state.PaymentId)}";

    private static string Describe(DisplayMessage? message) => message switch
    {
        null => "no answer",
        AckMessage ack => "ACK " + ack.Result,
        _ => message.Type.ToString(),
    };

    private static string Ms(TimeSpan time) => ((int)Math.Round(time.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) + " ms";

    private static string Ordinal(int n) => n switch
    {
        1 => "1st",
        2 => "2nd",
        3 => "3rd",
        _ => n.ToString(System.Globalization.CultureInfo.InvariantCulture) + "th",
    };

    /// <summary>One candidate of each drop reason of SPEC.md §4.2, in one burst.</summary>
    private static byte[] Garbage()
    {
        var burst = new List<byte>();
        void Candidate(ReadOnlySpan<byte> decoded)
        {
            var encoded = new byte[Cobs.MaxEncodedLength(decoded.Length)];
            var n = Cobs.Encode(decoded, encoded);
            burst.Add(0);
            burst.AddRange(encoded.AsSpan(0, n).ToArray());
            burst.Add(0);
        }

        Candidate([1, 2, 3, 4, 5]); // TOO_SHORT
        var mismatch = new byte[] { 1, (byte)MessageType.Ping, 1, 200, 3, 0, 0xAA, 0xBB, 0, 0, 0, 0 }; // len 3, 2 bytes of payload
        Candidate(mismatch); // LENGTH_MISMATCH
        var decoded = new byte[FrameCodec.HeaderLength + FrameCodec.CrcLength];
        decoded[0] = 1;
        decoded[1] = (byte)MessageType.Ping;
        decoded[2] = 1;
        decoded[3] = 201;
        BinaryPrimitives.WriteUInt32LittleEndian(decoded.AsSpan(FrameCodec.HeaderLength), Crc32C.Compute(decoded.AsSpan(0, FrameCodec.HeaderLength)) ^ 1);
        Candidate(decoded); // BAD_CRC
        burst.Add(0);
        burst.AddRange(Enumerable.Repeat((byte)1, 700)); // TOO_LONG: 700 encoded bytes
        burst.Add(0);
        burst.AddRange([0, 5, 0x11, 0x22, 0]); // COBS_INVALID: a code byte promising 4 bytes, 2 there
        return [.. burst];
    }
}
