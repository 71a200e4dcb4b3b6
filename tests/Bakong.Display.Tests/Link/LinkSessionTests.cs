using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Display.Tests.Link;

public sealed class LinkSessionTests
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(s_start);
    private readonly DisplayController _controller = new("POS-01");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DesiredScreen Qr(string paymentId, DisplayStatus status = DisplayStatus.Waiting) => Screens.Of(Payment(paymentId), status);

    private static DisplayPayment Payment(string paymentId) => Screens.Payment(paymentId, s_start.AddMinutes(5));

    private HostLinkSession Host() => new(_controller, new HostLinkOptions(), _clock, _clock, NullLogger.Instance);

    private DeviceLinkSession Device(uint bootId = 0x1111) => new(new DeviceIdentity(), new DeviceLinkOptions { BootId = bootId }, _clock);

    [Fact]
    public async Task The_host_handshakes_and_the_device_shows_the_desired_qr_with_its_seconds_left()
    {
        await using var link = new RelayedLink();
        using var device = Device();
        _controller.SetDesired(Qr("pay-1"));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var deviceRun = device.RunAsync(link.DeviceStream, stop.Token);
        var hostRun = Host().RunAsync(link.HostStream, stop.Token);

        var screen = await device.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Qr);
        var status = await _controller.WaitForStatusAsync(s => s.State == DisplayLinkState.Online);

        Assert.Equal(("pay-1", "5000 KHR", "Coffee", (ushort)300), (screen.PaymentId, screen.AmountText(), screen.MerchantName, screen.SecondsLeft(_clock.GetUtcNow())));
        Assert.Equal((0x1111u, "emu-1.0.0", "bakong-emulator"), (status.BootId!.Value, status.FirmwareVersion, status.Model));
        await stop.CancelAsync();
        Assert.Equal(LinkEnd.Cancelled, await hostRun);
        await deviceRun;
    }

    [Fact]
    public async Task A_lost_frame_is_retransmitted_byte_for_byte_after_the_rto()
    {
        var dropped = 0;
        await using var link = new RelayedLink(dropToDevice: f => f.Frame.MessageType == MessageType.ShowQr && Interlocked.Increment(ref dropped) == 1);
        using var device = Device();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var runs = Task.WhenAll(device.RunAsync(link.DeviceStream, stop.Token), Host().RunAsync(link.HostStream, stop.Token));
        await _controller.WaitForStatusAsync(s => s.State == DisplayLinkState.Online);

        _controller.SetDesired(Qr("pay-2"));
        var first = await RelayedLink.NextAsync(link.ToDevice, MessageType.ShowQr);
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        var again = await RelayedLink.NextAsync(link.ToDevice, MessageType.ShowQr);
        await device.WaitForScreenAsync(s => s.PaymentId == "pay-2");

        Assert.Equal(first.Wire, again.Wire);
        Assert.Equal(1, (await _controller.WaitForStatusAsync(s => s.Retransmits == 1)).Retransmits);
        await stop.CancelAsync();
        await runs;
    }

    [Fact]
    public async Task A_lost_ack_brings_a_duplicate_that_is_answered_again_but_not_executed_again()
    {
        var dropped = 0;
        await using var link = new RelayedLink(
            dropToHost: f => f.Message is AckMessage { AckedType: (byte)MessageType.ShowQr } && Interlocked.Increment(ref dropped) == 1);
        using var device = Device();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var runs = Task.WhenAll(device.RunAsync(link.DeviceStream, stop.Token), Host().RunAsync(link.HostStream, stop.Token));
        await _controller.WaitForStatusAsync(s => s.State == DisplayLinkState.Online);

        _controller.SetDesired(Qr("pay-3"));
        var lostAck = await RelayedLink.NextAsync(link.ToHost, MessageType.Ack);
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        var cachedAck = await RelayedLink.NextAsync(link.ToHost, MessageType.Ack);

        Assert.Equal(lostAck.Wire, cachedAck.Wire);
        Assert.Equal(1, device.ExecutedCount(MessageType.ShowQr));
        await stop.CancelAsync();
        await runs;
    }

    [Fact]
    public async Task A_newer_screen_supersedes_the_unacknowledged_one_and_the_stale_one_is_never_retried()
    {
        await using var link = PeerLink.Host(Host());
        var peer = link.Peer;
        await AnswerHelloAsync(peer, 0x2222);

        _controller.SetDesired(Qr("old"));
        var old = await peer.NextAsync(MessageType.ShowQr);
        _controller.SetDesired(Qr("new"));
        var replacing = await peer.NextAsync(MessageType.ShowQr);
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        var retried = await peer.NextAsync(MessageType.ShowQr);

        Assert.Equal("old", ((ShowQrMessage)old.Message).PaymentId);
        Assert.Equal("new", ((ShowQrMessage)replacing.Message).PaymentId);
        Assert.NotEqual(old.Frame.Seq, replacing.Frame.Seq);
        Assert.Equal(replacing.Wire, retried.Wire);
        await link.StopAsync();
    }

    [Fact]
    public async Task A_silent_device_is_pinged_after_one_second_the_link_goes_down_when_pings_go_unanswered_and_the_session_ends_after_three_seconds()
    {
        await using var link = PeerLink.Host(Host());
        var peer = link.Peer;
        await AnswerHelloAsync(peer, 0x3333);
        await _controller.WaitForStatusAsync(s => s.State == DisplayLinkState.Online);

        _clock.Advance(TimeSpan.FromSeconds(1));
        var ping = await peer.NextAsync(MessageType.Ping);
        for (var i = 0; i < 3; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(250));
            Assert.Equal(ping.Wire, (await peer.NextAsync(MessageType.Ping)).Wire);
        }

        _clock.Advance(TimeSpan.FromMilliseconds(250));

        // Retransmits exhausted: the link is down and the host starts over with HELLO; 3 s of silence end the session.
        await peer.NextAsync(MessageType.Hello);
        Assert.Equal(DisplayLinkState.Offline, _controller.Status.State);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(LinkEnd.Unresponsive, await link.Run.WaitAsync(Waiting.Timeout, Ct));
    }

    [Fact]
    public async Task A_device_that_answers_nothing_after_the_handshake_is_down_after_the_link_timeout()
    {
        await using var link = PeerLink.Host(Host());
        var peer = link.Peer;
        await AnswerHelloAsync(peer, 0x4444);
        await _controller.WaitForStatusAsync(s => s.State == DisplayLinkState.Online);

        // PONGs keep coming but nothing else does: still up. Then nothing at all for 3 s: down.
        _clock.Advance(TimeSpan.FromSeconds(1));
        var ping = await peer.NextAsync(MessageType.Ping);
        await peer.RespondAsync(ping, new PongMessage(0x4444, 1000, DisplayScreenKind.Blank));
        await _controller.WaitForStatusAsync(s => s.LastAckTime == _clock.GetUtcNow());
        _clock.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(LinkEnd.Unresponsive, await link.Run.WaitAsync(Waiting.Timeout, Ct));
    }

    [Fact]
    public async Task A_rebooted_device_gets_the_handshake_and_the_whole_desired_screen_again()
    {
        await using var link = new RelayedLink();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        _controller.SetDesired(Qr("pay-4", DisplayStatus.Paid));
        var host = Host().RunAsync(link.HostStream, stop.Token);
        using (var before = Device(0xAAAA))
        {
            using var power = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            var run = before.RunAsync(link.DeviceStream, power.Token);
            await before.WaitForScreenAsync(s => s is { PaymentId: "pay-4", Status: DisplayStatus.Paid });
            await power.CancelAsync();
            await run;
        }

        using var after = Device(0xBBBB);
        var rebooted = after.RunAsync(link.DeviceStream, stop.Token);
        var screen = await after.WaitForScreenAsync(s => s is { PaymentId: "pay-4", Status: DisplayStatus.Paid });

        // v1.1 (SPEC.md §10.2): the result alone, in one SHOW_RESULT; the paid payment's QR is not sent, let alone drawn.
        Assert.Equal(DisplayScreenKind.Status, screen.Kind);
        Assert.Equal((0, 0, 1), (after.ExecutedCount(MessageType.ShowQr), after.ExecutedCount(MessageType.SetStatus), after.ExecutedCount(MessageType.ShowResult)));
        Assert.Equal(0xBBBBu, (await _controller.WaitForStatusAsync(s => s.BootId == 0xBBBB)).BootId);
        await stop.CancelAsync();
        await Task.WhenAll(host, rebooted);
    }

    [Fact]
    public async Task The_device_repeats_boot_every_second_until_hello()
    {
        using var device = Device(0x5555);
        await using var link = PeerLink.Device(device);
        var peer = link.Peer;

        var boot = await peer.NextAsync(MessageType.Boot);
        await peer.RespondAsync(boot, new AckMessage(AckResult.Ok, (byte)MessageType.Boot));
        _clock.Advance(TimeSpan.FromSeconds(1));
        var second = await peer.NextAsync(MessageType.Boot);
        await peer.SendAsync(Hello(), FrameOptions.AckRequested, 1);
        var helloAck = await peer.NextAsync(MessageType.HelloAck);
        _clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0x5555u, ((BootMessage)second.Message).BootId);
        Assert.NotEqual(boot.Frame.Seq, second.Frame.Seq);
        Assert.Equal(0x5555u, ((HelloAckMessage)helloAck.Message).BootId);
        await peer.RespondAsync(second, new AckMessage(AckResult.Ok, (byte)MessageType.Boot));
        await link.StopAsync();
        Assert.False(peer.TryNext(out var more) && more!.Frame.MessageType == MessageType.Boot && more.Frame.Seq > second.Frame.Seq);
    }

    [Fact]
    public async Task Offline_the_device_keeps_the_qr_until_its_own_countdown_ends_then_shows_expired_and_reports_it_when_the_link_returns()
    {
        using var device = Device();
        await using var link = PeerLink.Device(device);
        var peer = link.Peer;
        await peer.SendAsync(Hello(), FrameOptions.AckRequested, 1);
        await peer.SendAsync(Screens.ShowQr(Payment("pay-5"), 5), FrameOptions.AckRequested, 2);
        await device.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Qr);

        _clock.Advance(TimeSpan.FromSeconds(3));
        var offline = await device.WaitForScreenAsync(s => s.Offline);
        _clock.Advance(TimeSpan.FromSeconds(2));
        var expired = await device.WaitForScreenAsync(s => s.Status == DisplayStatus.Expired);
        await peer.SendAsync(new EmptyMessage(MessageType.Ping), FrameOptions.AckRequested, 3);
        StateChangedMessage report;
        do
        {
            report = (StateChangedMessage)(await peer.NextAsync(MessageType.StateChanged)).Message;
        }
        while (report.Reason != StateChangedMessage.ExpiredLocally);

        Assert.Equal((DisplayScreenKind.Qr, DisplayStatus.Waiting), (offline.Kind, offline.Status));
        Assert.Equal(DisplayScreenKind.Status, expired.Kind);
        Assert.Equal(("pay-5", DisplayStatus.Expired), (report.PaymentId, report.Status));
        await link.StopAsync();
    }

    [Fact]
    public async Task Set_status_for_a_payment_not_on_screen_or_waiting_on_a_result_is_bad_state_and_an_unknown_type_is_unknown_type()
    {
        using var device = Device();
        await using var link = PeerLink.Device(device);
        var peer = link.Peer;
        await peer.SendAsync(Hello(), FrameOptions.AckRequested, 1);
        await peer.SendAsync(new SetStatusMessage("nope", DisplayStatus.Paid, ""), FrameOptions.AckRequested, 2);
        var badState = (AckMessage)(await peer.NextAsync(MessageType.Ack)).Message;
        await peer.SendAsync(new LogMessage(1, "not a request"), FrameOptions.AckRequested, 3);
        var unknown = (AckMessage)(await peer.NextAsync(MessageType.Ack)).Message;

        await peer.SendAsync(Screens.ShowQr(Payment("pay-7"), 60), FrameOptions.AckRequested, 4);
        await peer.SendAsync(new SetStatusMessage("pay-7", DisplayStatus.Failed, ""), FrameOptions.AckRequested, 5);
        await device.WaitForScreenAsync(s => s.Status == DisplayStatus.Failed);
        await peer.SendAsync(new SetStatusMessage("pay-7", DisplayStatus.Waiting, ""), FrameOptions.AckRequested, 6);
        AckMessage waitingOnResult;
        do
        {
            waitingOnResult = (AckMessage)(await peer.NextAsync(MessageType.Ack)).Message;
        }
        while (waitingOnResult.Result == AckResult.Ok);

        Assert.Equal(new AckMessage(AckResult.BadState, (byte)MessageType.SetStatus), badState);
        Assert.Equal(new AckMessage(AckResult.BadState, (byte)MessageType.SetStatus), waitingOnResult);
        Assert.Equal(new AckMessage(AckResult.UnknownType, (byte)MessageType.Log), unknown);
        Assert.Equal(1, device.ExecutedCount(MessageType.SetStatus));
        await link.StopAsync();
    }

    [Fact]
    public async Task An_emulator_that_reboots_gets_the_current_screen_again_from_a_host_on_another_clock()
    {
        // The device's clock is faked (its reboot timer), the host's runs in real time and never fires here.
        await using var link = new RelayedLink();
        var emulator = new Bakong.Display.Emulation.DisplayEmulator(
            new DeviceIdentity(), new Bakong.Display.Emulation.EmulatorOptions { RebootEvery = TimeSpan.FromSeconds(60) }, _clock);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        _controller.SetDesired(Qr("pay-6"));
        var runs = Task.WhenAll(
            emulator.RunAsync(link.DeviceStream, stop.Token),
            new HostLinkSession(_controller, new HostLinkOptions(), TimeProvider.System, _clock, NullLogger.Instance).RunAsync(link.HostStream, stop.Token));
        await emulator.WaitForScreenAsync(s => s.PaymentId == "pay-6", Waiting.Timeout, Ct).WaitAsync(Waiting.Timeout, Ct);
        var firstBoot = emulator.BootId;

        _clock.Advance(TimeSpan.FromSeconds(60));
        await emulator.WaitForScreenAsync(s => s.PaymentId == "pay-6" && emulator.Boots == 2, Waiting.Timeout, Ct).WaitAsync(Waiting.Timeout, Ct);

        Assert.NotEqual(firstBoot, emulator.BootId);
        await stop.CancelAsync();
        await runs;
    }

    private static HelloMessage Hello() => new(1, 0, 0, 1000, 3000, "test");

    [Fact]
    public async Task A_busy_answer_is_tried_again_after_the_rto_as_a_new_request_not_as_a_duplicate()
    {
        await using var link = PeerLink.Host(Host());
        var peer = link.Peer;
        await AnswerHelloAsync(peer, 0x5555);
        _controller.SetDesired(Qr("busy"));
        var first = await peer.NextAsync(MessageType.ShowQr);

        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await peer.RespondAsync(first, new AckMessage(AckResult.Busy, (byte)MessageType.ShowQr));
        await _controller.WaitForStatusAsync(s => s.LastFrameTime == _clock.GetUtcNow());
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        var again = await peer.NextAsync(MessageType.ShowQr);
        await peer.RespondAsync(again, new AckMessage(AckResult.Ok, (byte)MessageType.ShowQr));

        // A byte-identical retransmit would be a duplicate: the device would answer BUSY from its cache and never run it.
        Assert.NotEqual(first.Frame.Seq, again.Frame.Seq);
        Assert.Equal("busy", ((ShowQrMessage)again.Message).PaymentId);
        Assert.Equal(0, _controller.Status.Retransmits);
        await link.StopAsync();
    }

    [Fact]
    public async Task A_result_code_the_host_does_not_know_is_taken_as_bad_state_and_the_whole_screen_is_sent_again()
    {
        await using var link = PeerLink.Host(Host());
        var peer = link.Peer;
        await AnswerHelloAsync(peer, 0x7777);
        _controller.SetDesired(Qr("newer-device", DisplayStatus.Paid));
        var show = await peer.NextAsync(MessageType.ShowQr);
        await peer.RespondAsync(show, new AckMessage(AckResult.Ok, (byte)MessageType.ShowQr));
        var status = await peer.NextAsync(MessageType.SetStatus);

        // SPEC §7: a result code from a newer device (7–255) is handled as BAD_STATE.
        await peer.RespondAsync(status, new AckMessage((AckResult)42, (byte)MessageType.SetStatus));

        var again = await peer.NextAsync(MessageType.ShowQr);
        Assert.Equal("newer-device", ((ShowQrMessage)again.Message).PaymentId);
        await link.StopAsync();
    }

    private static async Task AnswerHelloAsync(ScriptedPeer peer, uint bootId)
    {
        var hello = await peer.NextAsync(MessageType.Hello);
        await peer.RespondAsync(hello, new HelloAckMessage(1, 0, bootId, 640, 1, "fw", "model", "serial"));
    }
}
