using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Bakong.Display.Tests.Link;

/// <summary>The host's v1.1 rules (SPEC.md §9.1, §10, §6.5), on its link joined to a device without I/O.</summary>
public sealed class HostLinkTests
{
    private static readonly byte[] s_key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    [Fact]
    public void Seconds_left_are_rounded_down_and_a_qr_with_less_than_a_second_left_is_sent_as_expired()
    {
        var rig = new LinkRig();
        var from = rig.ToDevice.Count;

        rig.Desire(new QrScreen(Screens.Payment("P", rig.Now.AddMilliseconds(2999))));
        rig.Desire(new QrScreen(Screens.Payment("Q", rig.Now.AddMilliseconds(999))));

        var sent = rig.ScreenCommandsSince(from);
        Assert.Equal(2, Assert.IsType<ShowQrMessage>(sent[0]).SecondsLeft);
        Assert.Equal(("Q", DisplayStatus.Expired), (Assert.IsType<ShowResultMessage>(sent[1]).PaymentId, ((ShowResultMessage)sent[1]).Status));
        Assert.Equal((DisplayScreenKind.Status, "Q"), (rig.Device.Screen.Kind, rig.Device.Screen.PaymentId));
    }

    [Fact]
    public void The_expired_result_of_a_qr_already_sent_as_expired_is_shown_at_once_without_sending_it_again()
    {
        var rig = new LinkRig();
        var p = Screens.Payment("P", rig.Now.AddMilliseconds(1500));
        var shown = new List<DesiredScreen>();
        rig.Controller.Shown += shown.Add;
        rig.Desire(new QrScreen(p));
        rig.Run(TimeSpan.FromSeconds(2)); // the host sends it as expired once less than a second is left
        var from = rig.ToDevice.Count;
        var shownBefore = shown.Count;

        rig.Desire(new ResultScreen(p, DisplayStatus.Expired, "")); // the payments hear of the expiry

        Assert.Empty(rig.ScreenCommandsSince(from));
        Assert.Equal([new ResultScreen(p, DisplayStatus.Expired, "")], shown.Skip(shownBefore)); // so its hold starts now
    }

    [Fact]
    public void To_a_v1_0_device_a_result_goes_as_set_status_after_the_payments_qr()
    {
        var rig = new LinkRig(deviceMinor: 0);
        var p = Screens.Payment("P", rig.Now.AddMinutes(5));
        var from = rig.ToDevice.Count;

        rig.Desire(new QrScreen(p));
        rig.Desire(new ResultScreen(p, DisplayStatus.Paid, "Thank you"));

        Assert.Equal([MessageType.ShowQr, MessageType.SetStatus], rig.ScreenCommandsSince(from).Select(m => m.Type));
        Assert.Equal((DisplayScreenKind.Status, DisplayStatus.Paid, "Thank you"), (rig.Device.Screen.Kind, rig.Device.Screen.Status, rig.Device.Screen.Message));
    }

    [Fact]
    public void A_devices_local_expiry_of_the_desired_qr_asks_for_the_payments_outcome_and_shows_it()
    {
        var outcomes = new Outcomes();
        var rig = new LinkRig(outcomes: outcomes);
        outcomes.Rig = rig;
        var p = Screens.Payment("P", rig.Now.AddMilliseconds(1500)); // the device counts down 1 s
        rig.Desire(new QrScreen(p));
        outcomes.Results["P"] = new ResultScreen(p, DisplayStatus.Paid, "Thank you"); // paid, but the host has not heard yet

        rig.Run(TimeSpan.FromSeconds(1.2));

        Assert.Equal(["P"], outcomes.Asked);
        Assert.Equal((DisplayScreenKind.Status, DisplayStatus.Paid), (rig.Device.Screen.Kind, rig.Device.Screen.Status));
    }

    [Fact]
    public void A_local_expiry_of_a_payment_the_host_no_longer_shows_is_only_logged()
    {
        var outcomes = new Outcomes();
        var rig = new LinkRig(outcomes: outcomes);
        rig.Desire(new QrScreen(Screens.Payment("Q", rig.Now.AddMinutes(5))));
        var report = new StateChangedMessage(DisplayScreenKind.Status, DisplayStatus.Expired, 0, "P", StateChangedMessage.ExpiredLocally);

        rig.Host!.Receive(FrameCodec.Encode(MessageType.StateChanged, FrameOptions.AckRequested, 200, report.ToPayload()), rig.Now);

        Assert.Empty(outcomes.Asked);
    }

    [Fact]
    public void Below_an_mtu_of_640_text_is_shortened_a_qr_that_cannot_fit_is_replaced_by_idle_and_reported_and_nothing_exceeds_the_mtu()
    {
        var rig = new LinkRig(mtu: 300);
        var longName = new string('ក', 32); // 96 bytes of Khmer
        var from = rig.ToDevice.Count;

        rig.Desire(new IdleScreen(longName, new string('x', 96)));
        rig.Desire(new QrScreen(Screens.Payment("P", rig.Now.AddMinutes(5), new string('7', 200)) with { MerchantName = longName }));
        var fitted = rig.Device.Screen;
        rig.Desire(new QrScreen(Screens.Payment("Q", rig.Now.AddMinutes(5), new string('7', 400))));

        var sent = rig.ScreenCommandsSince(from);
        Assert.All(rig.ToDeviceSizes, size => Assert.InRange(size, 0, 300));
        Assert.Equal([MessageType.ShowIdle, MessageType.ShowQr, MessageType.ShowIdle], sent.Select(m => m.Type));
        Assert.Equal((DisplayScreenKind.Qr, "P"), (fitted.Kind, fitted.PaymentId));
        Assert.StartsWith("កក", fitted.MerchantName, StringComparison.Ordinal);
        Assert.Equal(0, System.Text.Encoding.UTF8.GetByteCount(fitted.MerchantName) % 3); // cut on a whole character
        Assert.Equal(DisplayScreenKind.Idle, rig.Device.Screen.Kind);
        Assert.Equal("mtu too small for the QR", rig.Controller.Status.Problem);
        rig.Desire(new IdleScreen("Coffee", ""));
        Assert.Null(rig.Controller.Status.Problem); // the QR that did not fit is no longer wanted
    }

    [Theory]
    [InlineData(false, 634)]
    [InlineData(true, 634 - QrMac.TrailerLength)]
    public void A_512_byte_qr_with_a_long_merchant_name_fits_one_frame_with_the_longest_name_cut_on_a_whole_character(bool mac, int room)
    {
        // "Ab" puts the 3-byte Khmer letters off the byte limits (96, and what the QR leaves), so both cuts land mid-letter.
        var rig = mac ? new LinkRig(deviceKey: s_key, hostOptions: new HostLinkOptions { QrMacKey = s_key }) : new LinkRig();
        var name = "Ab" + new string('ក', 40);
        var from = rig.ToDevice.Count;

        rig.Desire(new QrScreen(Screens.Payment(new string('P', 32), rig.Now.AddMinutes(5), new string('Q', 512)) with { MerchantName = name }));

        var qr = Assert.IsType<ShowQrMessage>(rig.ScreenCommandsSince(from).Single());
        var length = qr.ToPayload().Length;
        Assert.InRange(length, room - 2, room); // one more letter (3 bytes) would not fit
        Assert.Equal(new string('Q', 512), qr.Qr);
        Assert.Equal("Ab" + new string('ក', qr.MerchantName.Length - 2), qr.MerchantName);
        Assert.Equal((DisplayScreenKind.Qr, true), (rig.Device.Screen.Kind, rig.Device.Screen.ShowsQrCode));
    }

    [Fact]
    public void A_command_the_device_refuses_is_not_sent_again_until_the_desired_screen_changes()
    {
        var rig = new LinkRig();
        var from = rig.ToDevice.Count;

        rig.Desire(new QrScreen(Screens.Payment("P", rig.Now.AddMinutes(5)) with { Currency = 0 })); // BAD_PAYLOAD
        rig.Run(TimeSpan.FromSeconds(5));
        rig.Desire(new QrScreen(Screens.Payment("Q", rig.Now.AddMilliseconds(500)) with { Currency = 0 })); // sent as expired: BAD_PAYLOAD
        rig.Run(TimeSpan.FromSeconds(5));

        Assert.Equal([MessageType.ShowQr, MessageType.ShowResult], rig.ScreenCommandsSince(from).Select(m => m.Type));
    }

    [Fact]
    public void A_device_with_an_mtu_below_64_is_not_driven_and_reported()
    {
        var rig = new LinkRig(mtu: 63);

        rig.Desire(new IdleScreen("Coffee", ""));

        Assert.Empty(rig.ScreenCommandsSince(0));
        Assert.Equal(DisplayLinkState.Online, rig.Controller.Status.State);
        Assert.StartsWith("mtu 63 is below 64", rig.Controller.Status.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_that_requires_a_qr_mac_is_not_driven_by_a_host_without_a_key()
    {
        var rig = new LinkRig(deviceKey: s_key);

        rig.Desire(new QrScreen(Screens.Payment("P", rig.Now.AddMinutes(5))));

        Assert.Empty(rig.ScreenCommandsSince(0));
        Assert.Equal("display requires a QR key (Displays:N:QrMacKey)", rig.Controller.Status.Problem);
        Assert.Equal(DisplayScreenKind.Blank, rig.Device.Screen.Kind);
    }

    [Fact]
    public void With_the_devices_key_qr_and_result_carry_a_trailer_the_device_accepts_and_a_reconnect_continues_above_its_counter()
    {
        var rig = new LinkRig(deviceKey: s_key, hostOptions: new HostLinkOptions { QrMacKey = s_key });
        var p = Screens.Payment("P", rig.Now.AddMinutes(5));
        rig.Desire(new QrScreen(p));
        rig.Disconnect();
        rig.Connect(); // a new host session: it learns the device's counter from HELLO_ACK
        rig.Desire(new ResultScreen(p, DisplayStatus.Paid, ""));

        Assert.Equal((DisplayScreenKind.Status, DisplayStatus.Paid), (rig.Device.Screen.Kind, rig.Device.Screen.Status));
        Assert.Equal(3u, rig.Device.MacCounter); // QR 1, the re-sync's QR 2, the result 3
        Assert.Null(rig.Controller.Status.Problem);
    }

    [Fact]
    public void A_wrong_key_gets_one_handshake_and_one_more_try_then_the_display_is_reported_and_no_qr_is_sent_again()
    {
        var wrong = s_key.Select(b => (byte)~b).ToArray();
        var rig = new LinkRig(deviceKey: s_key, hostOptions: new HostLinkOptions { QrMacKey = wrong });
        var from = rig.ToDevice.Count;

        rig.Desire(new QrScreen(Screens.Payment("P", rig.Now.AddMinutes(5))));
        rig.Run(TimeSpan.FromSeconds(5));
        rig.Desire(new QrScreen(Screens.Payment("Q", rig.Now.AddMinutes(5))));
        rig.Run(TimeSpan.FromSeconds(5));

        Assert.Equal(
            [MessageType.ShowQr, MessageType.Hello, MessageType.ShowQr],
            rig.ToDevice.Skip(from).Where(m => m.Type is not (MessageType.Ping or MessageType.Ack)).Select(m => m.Type));
        Assert.Equal("QR key mismatch (Displays:N:QrMacKey is not the device's key)", rig.Controller.Status.Problem);
        Assert.Equal(DisplayScreenKind.Blank, rig.Device.Screen.Kind);
    }

    [Fact]
    public void Frames_the_host_drops_are_counted_per_reason()
    {
        var rig = new LinkRig();
        var badCrc = FrameCodec.Encode(MessageType.Boot, FrameOptions.AckRequested, 9, new BootMessage(1, 1, "", "").ToPayload());
        badCrc[^2] ^= 0x40;

        rig.Host!.Receive([0x00, 0x03, 0x01, 0x02, 0x00, .. badCrc, .. badCrc], rig.Now);

        Assert.Equal(new FrameDrops(CobsInvalid: 0, TooShort: 1, LengthMismatch: 0, BadCrc: 2, TooLong: 0), rig.Controller.Status.Drops);
        Assert.Equal(3, rig.Controller.Status.FramesDropped);
    }

    [Fact]
    public void The_drop_metric_has_a_series_per_display_and_reason()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var display = new ConfiguredDisplay(new DisplayPortOptions { TerminalId = "POS-09", PortName = "/dev/null" }, "Coffee");
        _ = new DisplayMetrics(meters, new ConfiguredDisplays([display]));
        using var dropped = new MetricCollector<long>(meters, DisplayMetrics.MeterName, "bakong.display.frames.dropped");
        var link = new HostLink(display.Controller, new HostLinkOptions(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null);

        link.Receive([0x00, 0x03, 0x01, 0x02, 0x00, 0x05, 0x01, 0x00], TimeProvider.System.GetUtcNow()); // too short; COBS cut short
        dropped.RecordObservableInstruments();

        var series = dropped.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["reason"]!, m => (m.Value, (string)m.Tags["terminal.id"]!));
        Assert.Equal(
            new Dictionary<string, (long, string)>
            {
                ["cobs_invalid"] = (1, "POS-09"), ["too_short"] = (1, "POS-09"), ["length_mismatch"] = (0, "POS-09"), ["bad_crc"] = (0, "POS-09"), ["too_long"] = (0, "POS-09"),
            },
            series);
    }

    /// <summary>A host application's answer to "what became of this payment?": the result it knows, set as the desired screen.</summary>
    private sealed class Outcomes : IDisplayOutcomeSource
    {
        public LinkRig? Rig { get; set; }

        public Dictionary<string, ResultScreen> Results { get; } = [];

        public List<string> Asked { get; } = [];

        public void CountdownEnded(string terminalId, string paymentId)
        {
            Asked.Add(paymentId);
            if (Results.TryGetValue(paymentId, out var result))
            {
                Rig!.Desire(result);
            }
        }
    }
}
