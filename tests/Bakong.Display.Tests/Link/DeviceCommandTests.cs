using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Display.Tests.Link;

/// <summary>
/// An operator's test commands (SET_CONFIG, BEEP, CLEAR, GET_STATE) on the host's link: they go out as requests of the
/// link (its sequence numbers and retransmits), the device's answer comes back, a payment's screen goes first, and the
/// link's last fault is kept once it recovers.
/// </summary>
public sealed class DeviceCommandTests
{
    private static readonly DateTimeOffset s_expiry = new(2026, 3, 1, 9, 5, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DesiredScreen Qr(string paymentId) => Screens.Of(Screens.Payment(paymentId, s_expiry), DisplayStatus.Waiting);

    [Fact]
    public async Task Set_config_beep_and_get_state_reach_the_device_and_its_answers_come_back()
    {
        var rig = new LinkRig();
        rig.Desire(new IdleScreen("Coffee", ""));

        var config = DeviceCommand.SetConfig(brightness: 40, beepOnResult: false, language: 1);
        Assert.True(rig.Submit(config));
        var beep = DeviceCommand.Beep(pattern: 2, repeat: 1);
        Assert.True(rig.Submit(beep));
        var state = DeviceCommand.GetState();
        Assert.True(rig.Submit(state));

        Assert.Equal(AckResult.Ok, (await config.Answer.WaitAsync(Ct)).Ack);
        Assert.Equal(((byte)40, false, (byte)1), (rig.Device.Brightness, rig.Device.BeepOnResult, rig.Device.Language));
        Assert.Equal(AckResult.Ok, (await beep.Answer.WaitAsync(Ct)).Ack);
        Assert.Equal(1, rig.Device.Beeps);
        var answered = (await state.Answer.WaitAsync(Ct)).State!;
        Assert.Equal(DisplayScreenKind.Idle, answered.Screen);
        Assert.NotNull(answered.Counters); // a v1.1 device reports its frame counters
        Assert.Null(rig.Controller.Status.LastFault);
    }

    [Fact]
    public async Task Clear_blanks_the_payment_on_screen_only_until_the_host_sends_its_qr_again_at_once()
    {
        var rig = new LinkRig();
        rig.Desire(Qr("pay-1"));
        Assert.Equal(DisplayScreenKind.Qr, rig.Device.Screen.Kind);
        var from = rig.ToDevice.Count;

        var clear = DeviceCommand.Clear();
        rig.Submit(clear);

        Assert.Equal(AckResult.Ok, (await clear.Answer.WaitAsync(Ct)).Ack);
        Assert.Equal(1, rig.Device.ExecutedCount(MessageType.Clear));
        Assert.Equal([MessageType.Clear, MessageType.ShowQr], rig.ScreenCommandsSince(from).Select(m => m.Type));
        Assert.Equal(("pay-1", DisplayScreenKind.Qr), (rig.Device.Screen.PaymentId, rig.Device.Screen.Kind));
    }

    [Fact]
    public async Task A_command_waits_while_the_link_is_down_and_goes_after_the_handshake_and_the_screen()
    {
        var rig = new LinkRig();
        rig.Disconnect();
        rig.Desire(Qr("pay-2"));
        var state = DeviceCommand.GetState();
        rig.Submit(state);

        rig.Connect();

        var answer = await state.Answer.WaitAsync(Ct);
        Assert.Equal((DisplayScreenKind.Qr, "pay-2"), (answer.State!.Screen, answer.State.PaymentId)); // the QR went first
        var types = rig.ToDevice.Select(m => m.Type).ToList();
        Assert.True(types.LastIndexOf(MessageType.ShowQr) < types.IndexOf(MessageType.GetState));
    }

    [Fact]
    public async Task A_payment_screen_supersedes_a_command_in_flight_and_the_caller_hears_it_may_not_have_run()
    {
        var rig = new LinkRig();
        rig.Desire(new IdleScreen("Coffee", ""));
        rig.DropToDevice(1);
        var beep = DeviceCommand.Beep(1, 1);
        rig.Submit(beep);
        Assert.False(beep.Answer.IsCompleted);

        rig.Desire(Qr("pay-3"));

        var answer = await beep.Answer.WaitAsync(Ct);
        Assert.Null(answer.Ack);
        Assert.Contains("superseded by ShowQr", answer.NotAnswered, StringComparison.Ordinal);
        Assert.Equal("pay-3", rig.Device.Screen.PaymentId);
        rig.Run(TimeSpan.FromSeconds(2));
        Assert.Equal(0, rig.Device.Beeps); // never sent again
    }

    [Fact]
    public async Task A_command_unanswered_after_its_retransmits_is_reported_and_the_timeout_stays_the_last_fault_once_online_again()
    {
        var rig = new LinkRig();
        rig.Desire(new IdleScreen("Coffee", ""));
        rig.DropToDevice(4); // the request and its 3 retransmits
        var state = DeviceCommand.GetState();
        rig.Submit(state);

        rig.Run(TimeSpan.FromSeconds(2));

        var answer = await state.Answer.WaitAsync(Ct);
        Assert.Matches("^GetState seq [0-9]+ unanswered after 3 retransmits$", answer.NotAnswered);
        var status = rig.Controller.Status;
        Assert.Equal(DisplayLinkState.Online, status.State); // handshaken again
        Assert.Equal((LinkFaultKind.Timeout, answer.NotAnswered), (status.LastFault!.Kind, status.LastFault.Detail));
        Assert.Null(status.LastError);
    }

    [Fact]
    public async Task One_command_at_a_time_per_display_and_a_withdrawn_one_is_never_sent()
    {
        var rig = new LinkRig();
        rig.Disconnect();
        var first = DeviceCommand.Beep(1, 1);
        Assert.True(rig.Submit(first));
        Assert.False(rig.Submit(DeviceCommand.GetState()));

        rig.Controller.Withdraw(first, "the caller gave up");
        rig.Connect();
        rig.Run(TimeSpan.FromSeconds(1));

        Assert.Equal("the caller gave up", (await first.Answer.WaitAsync(Ct)).NotAnswered);
        Assert.DoesNotContain(rig.ToDevice, m => m.Type == MessageType.Beep);
        Assert.True(rig.Submit(DeviceCommand.GetState())); // the slot is free again
    }

    [Fact]
    public async Task A_nak_to_a_command_is_its_answer_and_the_links_last_fault_and_a_busy_one_is_tried_again()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var controller = new DisplayController("POS-01");
        await using var link = PeerLink.Host(new HostLinkSession(controller, new HostLinkOptions(), clock, clock, NullLogger.Instance));
        var peer = link.Peer;
        var hello = await peer.NextAsync(MessageType.Hello);
        await peer.RespondAsync(hello, new HelloAckMessage(1, 1, 0x4242, 640, 3, "fw", "model", "serial", 0));
        await controller.WaitForStatusAsync(s => s.State == DisplayLinkState.Online);

        var beep = DeviceCommand.Beep(3, 2);
        controller.TrySubmit(beep);
        var busy = await peer.NextAsync(MessageType.Beep);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await peer.RespondAsync(busy, new AckMessage(AckResult.Busy, (byte)MessageType.Beep));
        await controller.WaitForStatusAsync(s => s.LastFrameTime == clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMilliseconds(250));
        var again = await peer.NextAsync(MessageType.Beep);
        await peer.RespondAsync(again, new AckMessage(AckResult.BadPayload, (byte)MessageType.Beep));

        var answer = await beep.Answer.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(AckResult.BadPayload, answer.Ack);
        Assert.Equal(new BeepMessage(3, 2), again.Message);
        Assert.NotEqual(busy.Frame.Seq, again.Frame.Seq);
        var fault = (await controller.WaitForStatusAsync(s => s.LastFault is not null)).LastFault!;
        Assert.Equal((LinkFaultKind.Nak, "Beep refused: BadPayload", clock.GetUtcNow()), (fault.Kind, fault.Detail, fault.Time));
        await link.StopAsync();
    }

    [Fact]
    public void A_port_error_longer_than_the_limit_is_cut()
    {
        var fault = LinkFault.Of(LinkFaultKind.Port, new string('x', 500), DateTimeOffset.UnixEpoch);

        Assert.Equal(LinkFault.MaxDetail, fault.Detail.Length);
        Assert.EndsWith("…", fault.Detail, StringComparison.Ordinal);
    }
}
