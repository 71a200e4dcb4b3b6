using Bakong.Display.Emulation;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Display.Tests.Link;
using Bakong.Display.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Display.Tests.Transport;

/// <summary>The gateway's port owner over real pseudo-terminals (openpty), with the emulator as the device, in real time.</summary>
public sealed class SerialPortTransportTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("bakong-display-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string PortLink => Path.Combine(_directory, "ttyDisplay");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_display_shows_the_latest_screen_after_an_unplug_and_a_replug_on_the_same_path()
    {
        RequirePty();
        var display = new ConfiguredDisplay(new DisplayPortOptions { TerminalId = "POS-01", PortName = PortLink }, "Coffee");
        using var service = Service(display);
        var emulator = new DisplayEmulator(new DeviceIdentity(), new EmulatorOptions(), TimeProvider.System);

        var first = PseudoTerminal.Open();
        Repoint(first.SlavePath);
        using var unplug = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var device = emulator.RunAsync(first.Master, unplug.Token);
        await service.StartAsync(Ct);

        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle && s.MerchantName == "Coffee", s_timeout, Ct);
        display.Controller.SetDesired(Qr("pay-1", DisplayStatus.Waiting));
        await emulator.WaitForScreenAsync(s => s is { Kind: DisplayScreenKind.Qr, PaymentId: "pay-1" }, s_timeout, Ct);
        var firstBoot = emulator.BootId;

        // Unplug: the device side of the pty goes away; the gateway sees its port hang up. The payment moves on meanwhile.
        await unplug.CancelAsync();
        await device;
        first.Dispose();
        await display.Controller.WaitForStatusAsync(s => s.State is DisplayLinkState.Disconnected);
        display.Controller.SetDesired(Qr("pay-1", DisplayStatus.Paid));

        // Replug: a new pty behind the same path (a udev symlink does this for a real USB display).
        using var second = PseudoTerminal.Open();
        Repoint(second.SlavePath);
        var replugged = emulator.RunAsync(second.Master, Ct);
        var screen = await emulator.WaitForScreenAsync(s => s is { Kind: DisplayScreenKind.Status, PaymentId: "pay-1" }, s_timeout, Ct);

        Assert.Equal(DisplayStatus.Paid, screen.Status);
        Assert.NotEqual(firstBoot, emulator.BootId);
        Assert.True(display.Controller.Status.Reconnects >= 1);
        await service.StopAsync(Ct);
    }

    [Fact]
    public async Task With_one_percent_of_bytes_corrupted_both_ways_the_display_still_converges()
    {
        RequirePty();
        using var pty = PseudoTerminal.Open();
        var display = new ConfiguredDisplay(
            new DisplayPortOptions { TerminalId = "POS-02", PortName = pty.SlavePath }, "Coffee");
        using var service = Service(display);
        var emulator = new DisplayEmulator(new DeviceIdentity(), new EmulatorOptions { CorruptRate = 0.01, Seed = 7 }, TimeProvider.System);
        var device = emulator.RunAsync(pty.Master, Ct);
        await service.StartAsync(Ct);

        for (var i = 0; i < 2; i++)
        {
            var id = "pay-" + i;
            display.Controller.SetDesired(Qr(id, DisplayStatus.Waiting));
            await emulator.WaitForScreenAsync(s => s.PaymentId == id && s.Kind == DisplayScreenKind.Qr, s_timeout, Ct);
            display.Controller.SetDesired(Qr(id, DisplayStatus.Paid));
            await emulator.WaitForScreenAsync(s => s.PaymentId == id && s.Status == DisplayStatus.Paid, s_timeout, Ct);
        }

        Assert.Equal(DisplayStatus.Paid, emulator.Screen.Status);
        await service.StopAsync(Ct);
    }

    [Fact]
    public async Task A_display_with_a_qr_mac_key_is_driven_with_the_configured_key_and_one_without_it_is_reported_not_driven()
    {
        RequirePty();
        const string Key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        using var keyed = PseudoTerminal.Open();
        using var keyless = PseudoTerminal.Open();
        var withKey = new ConfiguredDisplay(new DisplayPortOptions { TerminalId = "POS-05", PortName = keyed.SlavePath, QrMacKey = Key }, "Coffee");
        var withoutKey = new ConfiguredDisplay(new DisplayPortOptions { TerminalId = "POS-06", PortName = keyless.SlavePath }, "Coffee");
        using var service = new DisplayService(new ConfiguredDisplays([withKey, withoutKey]), new DisplayClock(TimeProvider.System), TimeProvider.System, NullLoggerFactory.Instance);
        var options = new EmulatorOptions { MacKey = Convert.FromHexString(Key) };
        var first = new DisplayEmulator(new DeviceIdentity(), options, TimeProvider.System);
        var second = new DisplayEmulator(new DeviceIdentity(), options, TimeProvider.System);
        var devices = Task.WhenAll(first.RunAsync(keyed.Master, Ct), second.RunAsync(keyless.Master, Ct));
        await service.StartAsync(Ct);

        withKey.Controller.SetDesired(Qr("pay-mac", DisplayStatus.Waiting));
        await first.WaitForScreenAsync(s => s is { Kind: DisplayScreenKind.Qr, PaymentId: "pay-mac" }, s_timeout, Ct);
        withKey.Controller.SetDesired(Qr("pay-mac", DisplayStatus.Paid));
        await first.WaitForScreenAsync(s => s is { Kind: DisplayScreenKind.Status, Status: DisplayStatus.Paid }, s_timeout, Ct);
        withoutKey.Controller.SetDesired(Qr("pay-nokey", DisplayStatus.Waiting));
        var reported = await withoutKey.Controller.WaitForStatusAsync(s => s.Problem is not null);

        Assert.Null(withKey.Controller.Status.Problem);
        Assert.Equal("display requires a QR key (Displays:N:QrMacKey)", reported.Problem);
        Assert.NotEqual(DisplayScreenKind.Qr, second.Screen.Kind);
        await service.StopAsync(Ct);
    }

    [Fact]
    public async Task Dtr_on_a_pseudo_terminal_fails_to_open_and_is_reported_and_retried_not_thrown()
    {
        RequirePty();
        using var pty = PseudoTerminal.Open();
        var display = new ConfiguredDisplay(
            new DisplayPortOptions { TerminalId = "POS-03", PortName = pty.SlavePath, Dtr = true }, "Coffee");
        using var service = Service(display);
        await service.StartAsync(Ct);

        var status = await display.Controller.WaitForStatusAsync(s => s.LastError is not null);

        Assert.Equal(DisplayLinkState.Disconnected, status.State);
        Assert.Contains("Inappropriate ioctl", status.LastError, StringComparison.Ordinal);
        await service.StopAsync(Ct);
    }

    [Fact]
    public async Task A_missing_port_is_watched_and_a_display_plugged_in_after_any_outage_is_driven_within_one_port_check()
    {
        RequirePty();
        // The links' clock is faked and observed: it moves only when the service is waiting on it, by one port check
        // (100 ms) at a time, so "driven within one check" is exact; the device answers in real time.
        var clock = new ObservedClock(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var display = new ConfiguredDisplay(new DisplayPortOptions { TerminalId = "POS-04", PortName = PortLink }, "Coffee");
        using var service = new DisplayService(new ConfiguredDisplays([display]), new DisplayClock(clock), TimeProvider.System, NullLoggerFactory.Instance);
        var emulator = new DisplayEmulator(new DeviceIdentity(), new EmulatorOptions(), TimeProvider.System);
        await service.StartAsync(Ct);
        var waiting = await display.Controller.WaitForStatusAsync(s => s.LastError is not null);
        Assert.Equal((DisplayLinkState.Disconnected, "waiting for " + PortLink), (waiting.State, waiting.LastError));

        // Plugged in after 6 s without a port: one more check and it is open, handshaken and showing the idle screen.
        await AdvanceChecksAsync(clock, 60);
        var first = PseudoTerminal.Open();
        Repoint(first.SlavePath);
        using var unplug = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var device = emulator.RunAsync(first.Master, unplug.Token);
        await AdvanceChecksAsync(clock, 1);
        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle, s_timeout, Ct);
        var firstBoot = emulator.BootId;

        // Unplugged for 6 s, replugged behind the same path: again driven within one check of the port.
        await unplug.CancelAsync();
        await device;
        first.Dispose();
        await display.Controller.WaitForStatusAsync(s => s.State == DisplayLinkState.Disconnected && s.Reconnects == 1);
        await AdvanceChecksAsync(clock, 60);
        using var second = PseudoTerminal.Open();
        Repoint(second.SlavePath);
        var replugged = emulator.RunAsync(second.Master, Ct);
        await AdvanceChecksAsync(clock, 1);
        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle && emulator.BootId != firstBoot, s_timeout, Ct);

        Assert.Equal(DisplayLinkState.Online, (await display.Controller.WaitForStatusAsync(s => s.State == DisplayLinkState.Online)).State);
        await service.StopAsync(Ct);
    }

    /// <summary>Lets <paramref name="checks"/> port checks pass: each time the service waits one <see cref="DisplayService.PortWatch"/>, that much time passes.</summary>
    private static async Task AdvanceChecksAsync(ObservedClock clock, int checks)
    {
        for (var i = 0; i < checks; i++)
        {
            await clock.WaitForTimerAsync(DisplayService.PortWatch);
            clock.Fake.Advance(DisplayService.PortWatch);
        }
    }

    private static DisplayService Service(ConfiguredDisplay display) =>
        new(new ConfiguredDisplays([display]), new DisplayClock(TimeProvider.System), TimeProvider.System, NullLoggerFactory.Instance);

    private static DesiredScreen Qr(string paymentId, DisplayStatus status) =>
        Screens.Of(Screens.Payment(paymentId, TimeProvider.System.GetUtcNow().AddMinutes(5), "00020101021229" + new string('7', 150)), status);

    private static void RequirePty()
    {
        if (!PseudoTerminal.IsSupported)
        {
            Assert.Skip("pseudo-terminals need Linux");
        }
    }

    private void Repoint(string target)
    {
        var temp = PortLink + ".new";
        File.Delete(temp);
        File.CreateSymbolicLink(temp, target);
        File.Move(temp, PortLink, overwrite: true);
    }
}
