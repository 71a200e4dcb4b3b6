using Bakong.Display.Link;
using Bakong.Display.Protocol;

namespace Bakong.Display.Tests.Link;

/// <summary>The emulator's device on the points where it used to disagree with SPEC.md, and its v1.1 additions, driven without I/O.</summary>
public sealed class DisplayDeviceTests
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private DateTimeOffset _now = s_start;

    [Fact]
    public void A_hello_without_ack_requested_is_ignored_not_executed_not_answered_and_the_cache_is_kept()
    {
        var device = Booted();
        Send(device, new ShowIdleMessage("Coffee", ""), seq: 7);
        var cached = Outputs(device).Single();

        Send(device, Hello(), seq: 8, FrameOptions.None);
        var afterHello = Outputs(device);
        Send(device, new ShowIdleMessage("Coffee", ""), seq: 7); // a retransmit: still a duplicate

        Assert.Empty(afterHello);
        Assert.Equal(cached, Outputs(device).Single());
        Assert.Equal((2, 1), (device.ExecutedCount(MessageType.ShowIdle), (int)device.Counters.Duplicates)); // Booted's and seq 7's
    }

    [Fact]
    public void A_device_to_host_type_sent_as_a_request_is_unknown_type_whatever_its_payload()
    {
        var device = Booted();

        device.Receive(FrameCodec.Encode(MessageType.StateChanged, FrameOptions.AckRequested, 5, [0xFF]), _now);

        Assert.Equal(new AckMessage(AckResult.UnknownType, (byte)MessageType.StateChanged), Answer(device));
    }

    [Fact]
    public void Only_a_version_1_ack_of_the_events_seq_and_type_stops_its_retransmits()
    {
        var device = new DisplayDevice(new DeviceIdentity(), new DeviceLinkOptions { BootId = 0x1234 }, _now);
        var boot = Outputs(device).Single();
        var seq = SeqOf(boot);

        device.Receive(FrameCodec.Encode(MessageType.Ack, FrameOptions.Response, seq, new AckMessage(AckResult.Ok, (byte)MessageType.StateChanged).ToPayload()), _now);
        device.Receive(FrameCodec.Encode(MessageType.Ack, FrameOptions.Response, seq, new AckMessage(AckResult.Ok, (byte)MessageType.Boot).ToPayload(), version: 2), _now);
        Advance(device, TimeSpan.FromMilliseconds(250));
        var retransmitted = Outputs(device).Single();
        device.Receive(FrameCodec.Encode(MessageType.Ack, FrameOptions.Response, seq, new AckMessage(AckResult.Ok, (byte)MessageType.Boot).ToPayload()), _now);
        Advance(device, TimeSpan.FromMilliseconds(250));

        Assert.Equal(boot, retransmitted);
        Assert.Empty(Outputs(device));
    }

    [Fact]
    public void Hello_ack_says_1_1_with_the_mac_counter_and_state_carries_the_frame_counters()
    {
        var device = new DisplayDevice(new DeviceIdentity(), new DeviceLinkOptions { BootId = 0x1234 }, _now);
        Outputs(device);
        Send(device, Hello(), seq: 1);
        var helloAck = Assert.IsType<HelloAckMessage>(Answer(device));
        device.Receive([0x00, 0x03, 0x01, 0x02, 0x00], _now); // too short
        var bad = FrameCodec.Encode(MessageType.Ping, FrameOptions.AckRequested, 2, []);
        bad[^2] ^= 0x01; // the CRC
        device.Receive(bad, _now);
        Send(device, new EmptyMessage(MessageType.Ping), seq: 3);
        Outputs(device);
        Send(device, new EmptyMessage(MessageType.Ping), seq: 3); // a duplicate
        Outputs(device);
        Send(device, new EmptyMessage(MessageType.GetState), seq: 4);

        var state = Assert.IsType<StateMessage>(Answer(device));
        Assert.Equal((1, 0u), (helloAck.ProtoMinor, helloAck.MacCounter!.Value));
        Assert.Equal(new StateCounters(FramesOk: 4, CobsInvalid: 0, TooShort: 1, LengthMismatch: 0, BadCrc: 1, TooLong: 0, Duplicates: 1), state.Counters);
    }

    [Fact]
    public void The_result_latch_keeps_the_qr_of_the_last_eight_settled_payments_off_the_screen()
    {
        var device = Booted();
        for (var i = 0; i < 9; i++)
        {
            Send(device, Screens.ShowResult(Screens.Payment("P" + i, s_start.AddMinutes(5)), DisplayStatus.Paid), seq: (byte)(10 + i));
        }

        var shown = new List<DisplayScreenKind>();
        for (var i = 0; i < 9; i++)
        {
            Send(device, new ShowIdleMessage("Coffee", ""), seq: (byte)(30 + i));
            Send(device, Screens.ShowQr(Screens.Payment("P" + i, s_start.AddMinutes(5)), 300), seq: (byte)(40 + i));
            Assert.Equal(new AckMessage(AckResult.Ok, (byte)MessageType.ShowQr), Answer(device)); // a latched SHOW_QR is no error
            shown.Add(device.Screen.Kind);
        }

        // P0 is the ninth id back: a ring of 8 has forgotten it; P1 to P8 stay latched and their QR is not drawn.
        Assert.Equal([DisplayScreenKind.Qr, .. Enumerable.Repeat(DisplayScreenKind.Idle, 8)], shown);
        Assert.Equal(["P0"], Enumerable.Range(0, 9).Select(i => "P" + i).Where(id => !device.IsLatched(id)));
    }

    [Fact]
    public void A_qr_with_0_seconds_left_shows_expired_without_drawing_the_qr_and_an_empty_qr_is_no_code()
    {
        var device = Booted();
        var screens = new List<DeviceScreen>();

        Send(device, Screens.ShowQr(Screens.Payment("P", s_start.AddMinutes(5)), 0), seq: 2);
        screens.Add(device.Screen);
        Send(device, Screens.ShowQr(Screens.Payment("Q", s_start.AddMinutes(5), qr: ""), 60), seq: 3);
        screens.Add(device.Screen);

        Assert.Equal((DisplayScreenKind.Status, DisplayStatus.Expired, "P"), (screens[0].Kind, screens[0].Status, screens[0].PaymentId));
        Assert.True(device.IsLatched("P"));
        Assert.Equal((DisplayScreenKind.Qr, false), (screens[1].Kind, screens[1].ShowsQrCode));
    }

    [Fact]
    public void Values_out_of_the_v1_1_ranges_are_bad_payload()
    {
        var device = Booted();
        var p = Screens.Payment("P", s_start.AddMinutes(5));
        var refused = new List<DisplayMessage>
        {
            Screens.ShowQr(p, 60) with { Currency = 0 },
            Screens.ShowQr(p, 60) with { Currency = 1000 },
            Screens.ShowQr(p, 60) with { Exponent = 5 },
            Screens.ShowQr(p, 60) with { PaymentId = "" },
            Screens.ShowResult(p, DisplayStatus.Paid) with { Exponent = 5 },
            new SetStatusMessage("", DisplayStatus.Paid, ""),
        };

        var answers = refused.Select((m, i) =>
        {
            Send(device, m, seq: (byte)(20 + i));
            return ((AckMessage)Answer(device)).Result;
        });

        Assert.All(answers, r => Assert.Equal(AckResult.BadPayload, r));
        Assert.Equal(DisplayScreenKind.Idle, device.Screen.Kind);
    }

    private DisplayDevice Booted()
    {
        var device = new DisplayDevice(new DeviceIdentity(), new DeviceLinkOptions { BootId = 0x1234 }, _now);
        Send(device, Hello(), seq: 1);
        Send(device, new ShowIdleMessage("Coffee", ""), seq: 1);
        Outputs(device);
        return device;
    }

    private static HelloMessage Hello() => new(1, 1, 0, 1000, 3000, "test");

    private void Send(DisplayDevice device, DisplayMessage message, byte seq, FrameOptions options = FrameOptions.AckRequested) =>
        device.Receive(FrameCodec.Encode(message.Type, options, seq, message.ToPayload()), _now);

    private void Advance(DisplayDevice device, TimeSpan by)
    {
        _now += by;
        device.Poll(_now);
    }

    private static List<string> Outputs(DisplayDevice device)
    {
        var wires = new List<string>();
        while (device.TryTakeOutput(out var output))
        {
            wires.Add(Convert.ToHexStringLower(output.Wire));
        }

        return wires;
    }

    /// <summary>The message of the one answer the device wrote last.</summary>
    private static DisplayMessage Answer(DisplayDevice device)
    {
        DisplayMessage? answer = null;
        while (device.TryTakeOutput(out var output))
        {
            var decoder = new FrameDecoder();
            foreach (var b in output.Wire)
            {
                if (decoder.Push(b, out var frame) && frame.IsResponse)
                {
                    DisplayMessages.TryRead(frame.Type, frame.Payload, out answer);
                }
            }
        }

        return answer ?? throw new InvalidOperationException("no answer");
    }

    private static byte SeqOf(string wireHex)
    {
        var decoder = new FrameDecoder();
        foreach (var b in Convert.FromHexString(wireHex))
        {
            if (decoder.Push(b, out var frame))
            {
                return frame.Seq;
            }
        }

        throw new InvalidOperationException("not a frame");
    }
}
