using Bakong.Display.Link;
using Bakong.Display.Protocol;

namespace Bakong.Display.Tests.Link;

/// <summary>
/// The display's language (SET_CONFIG key 3, RAM only on the device): the host's link tells it after every handshake,
/// before the screen, so a rebooted display (back in English) or one an operator switched is put right at once.
/// </summary>
public sealed class LanguageTests
{
    private static readonly IdleScreen s_idle = new("ហាងកាហ្វេសុខា", "");

    [Fact]
    public void The_language_is_sent_after_the_handshake_before_the_first_screen_and_every_screen_is_drawn_in_it()
    {
        var rig = new LinkRig(hostOptions: new HostLinkOptions { Language = DisplayLanguage.Khmer });
        rig.Desire(s_idle);
        rig.Run(TimeSpan.FromSeconds(2));

        Assert.Equal([MessageType.Hello, MessageType.SetConfig, MessageType.ShowIdle], Requests(rig, from: 0));
        Assert.Equal(new SetConfigMessage(null, null, 1), rig.ToDevice.Single(m => m.Type == MessageType.SetConfig));
        Assert.Equal((byte)1, rig.Device.Language);
        Assert.Equal((DisplayScreenKind.Idle, DisplayLanguage.Khmer, "ហាងកាហ្វេសុខា"), (rig.Device.Screen.Kind, rig.Device.Screen.Language, rig.Device.Screen.MerchantName));
        Assert.All(rig.Screens.Where(s => s.Screen.Kind != DisplayScreenKind.Blank), s => Assert.Equal(DisplayLanguage.Khmer, s.Screen.Language));
    }

    [Fact]
    public void A_rebooted_display_is_told_its_language_again_before_its_screen()
    {
        var rig = new LinkRig(hostOptions: new HostLinkOptions { Language = DisplayLanguage.Khmer });
        rig.Desire(s_idle);
        rig.Run(TimeSpan.FromSeconds(2));
        var before = rig.ToDevice.Count;

        rig.Reboot(); // RAM gone: the device is back in English
        rig.Run(TimeSpan.FromSeconds(3));

        Assert.Equal([MessageType.Hello, MessageType.SetConfig, MessageType.ShowIdle], Requests(rig, from: before));
        Assert.Equal((byte)1, rig.Device.Language);
        Assert.All(rig.Screens.Where(s => s.Screen.Kind != DisplayScreenKind.Blank), s => Assert.Equal(DisplayLanguage.Khmer, s.Screen.Language));
    }

    [Fact]
    public void An_english_display_that_an_operator_switched_to_khmer_is_english_again_after_the_next_handshake()
    {
        var rig = new LinkRig(hostOptions: new HostLinkOptions { Language = DisplayLanguage.English });
        rig.Desire(s_idle);
        Assert.True(rig.Submit(DeviceCommand.SetConfig(brightness: null, beepOnResult: null, language: 1)));
        rig.Run(TimeSpan.FromSeconds(1));
        var switched = rig.Device.Language;

        rig.Disconnect(); // the port is reopened (the gateway restarted, a replug): the device did not reboot
        rig.Connect();
        rig.Run(TimeSpan.FromSeconds(1));

        Assert.Equal((byte)1, switched);
        Assert.Equal((byte)0, rig.Device.Language);
        Assert.Equal(DisplayLanguage.English, rig.Device.Screen.Language);
    }

    [Fact]
    public void Without_a_language_the_host_sends_no_set_config()
    {
        var rig = new LinkRig();
        rig.Desire(s_idle);
        rig.Reboot();
        rig.Run(TimeSpan.FromSeconds(3));

        Assert.DoesNotContain(rig.ToDevice, m => m.Type == MessageType.SetConfig);
        Assert.Equal(DisplayLanguage.English, rig.Device.Screen.Language);
    }

    /// <summary>The host's requests from frame <paramref name="from"/> on, without the heartbeat (PING) and its answers to the device's events (ACK).</summary>
    private static List<MessageType> Requests(LinkRig rig, int from) =>
        [.. rig.ToDevice.Skip(from).Select(m => m.Type).Where(t => t is not (MessageType.Ping or MessageType.Ack))];
}
