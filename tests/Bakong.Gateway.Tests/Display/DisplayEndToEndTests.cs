using System.Collections.Concurrent;
using Bakong.Display;
using Bakong.Display.Emulation;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Display.Transport;
using Bakong.Grpc.Payments.V1;
using Grpc.Health.V1;
using static Grpc.Health.V1.Health;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Gateway.Tests.Display;

/// <summary>
/// The gateway with <c>Displays</c> bound to a real pseudo-terminal (openpty, through a symlink the test can repoint),
/// opened with System.IO.Ports; on the other side the emulator's device logic, in-process. Payments run on the
/// factory's fake clock; the display links run in real time, as a device on a port does.
/// </summary>
public sealed class DisplayEndToEndTests : IDisposable
{
    private const string Terminal = "till-1";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("bakong-display-e2e-").FullName;
    private readonly ConcurrentQueue<DeviceScreen> _seen = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string PortLink => Path.Combine(_directory, "ttyPOS");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_payment_on_a_bound_terminal_shows_its_qr_then_paid_then_idle_and_the_display_has_its_own_health()
    {
        RequirePty();
        using var pty = PseudoTerminal.Open();
        Repoint(pty.SlavePath);
        var emulator = Emulator(new EmulatorOptions());
        var device = emulator.RunAsync(pty.Master, Ct);
        await using var gateway = Gateway(TimeSpan.FromMilliseconds(300));
        var health = new HealthClient(gateway.Channel);

        var idle = await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle, s_timeout, Ct);
        var paid = await gateway.CreatePaidAsync("display-1");
        var result = await emulator.WaitForScreenAsync(s => s is { Kind: DisplayScreenKind.Status, Status: DisplayStatus.Paid } && s.PaymentId == paid.PaymentId, s_timeout, Ct);
        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle && _seen.Any(x => x.Status == DisplayStatus.Paid), s_timeout, Ct);

        var qr = Assert.Single(_seen, s => s.Kind == DisplayScreenKind.Qr && s.PaymentId == paid.PaymentId);
        Assert.Equal((paid.Khqr, "5000 KHR", "Demo Shop"), (qr.Qr, qr.AmountText(), qr.MerchantName));
        Assert.InRange(qr.SecondsLeft(qr.CountdownEnd!.Value.AddSeconds(-1)), 1, 900);
        Assert.Equal("Thank you", result.Message);
        Assert.Equal("Demo Shop", idle.MerchantName);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "bakong.display." + Terminal }, cancellationToken: Ct)).Status);
        var statuses = await new Bakong.Grpc.Display.V1.DisplayService.DisplayServiceClient(gateway.Channel).ListDisplaysAsync(new(), cancellationToken: Ct);
        var listed = Assert.Single(statuses.Displays);
        Assert.Equal((Terminal, Bakong.Grpc.Display.V1.Display.Types.LinkState.Online, emulator.BootId!.Value), (listed.TerminalId, listed.LinkState, listed.BootId));
    }

    [Fact]
    public async Task Unplugged_mid_payment_and_replugged_the_display_shows_the_latest_state_while_payments_stay_ready_without_it()
    {
        RequirePty();
        var first = PseudoTerminal.Open();
        Repoint(first.SlavePath);
        var emulator = Emulator(new EmulatorOptions());
        using var unplug = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var device = emulator.RunAsync(first.Master, unplug.Token);
        await using var gateway = Gateway(TimeSpan.FromMinutes(5));
        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle, s_timeout, Ct);

        var created = (await gateway.Payments.CreatePaymentAsync(Requests.Create("display-2"), cancellationToken: Ct)).Payment;
        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Qr && s.PaymentId == created.PaymentId, s_timeout, Ct);

        // Unplug, then the customer pays while the display is gone: the payment settles regardless.
        var noticed = WhenLink(gateway, s => s.State != DisplayLinkState.Online);
        await unplug.CancelAsync();
        await device;
        first.Dispose();
        await noticed;
        var health = new HealthClient(gateway.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest { Service = "bakong.display." + Terminal }, cancellationToken: Ct)).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "" }, cancellationToken: Ct)).Status);
        using var watch = gateway.Payments.WatchPayment(new WatchPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);
        var latest = await GatewayFactory.NextAsync(watch);
        await gateway.PayAsync(created.Khqr);
        while (latest.State == State.Pending)
        {
            gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
            latest = await GatewayFactory.NextAsync(watch);
        }

        Assert.Equal(State.Paid, latest.State);

        // Replug behind the same path: a new boot, which gets the whole latest screen.
        using var second = PseudoTerminal.Open();
        Repoint(second.SlavePath);
        var replugged = emulator.RunAsync(second.Master, Ct);
        var screen = await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Status && s.PaymentId == created.PaymentId, s_timeout, Ct);

        Assert.Equal(DisplayStatus.Paid, screen.Status);
        Assert.Equal(2, emulator.Boots);
    }

    [Fact]
    public async Task Paid_during_a_6_s_unplug_the_display_shows_paid_within_one_port_check_of_the_replug_then_idle_after_the_hold()
    {
        RequirePty();
        // The display links' clock is faked and observed (payments have the factory's): it moves only when the port
        // owner is waiting on it, so the outage lasts exactly 6 s for the gateway and the replug gets exactly one
        // 100 ms port check. The device answers in real time over the pty.
        var clock = new ObservedClock(DateTimeOffset.UnixEpoch);
        var hold = TimeSpan.FromSeconds(2);
        var first = PseudoTerminal.Open();
        Repoint(first.SlavePath);
        var emulator = Emulator(new EmulatorOptions());
        using var unplug = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var device = emulator.RunAsync(first.Master, unplug.Token);
        await using var gateway = Gateway(hold, clock);
        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle, s_timeout, Ct);
        var created = (await gateway.Payments.CreatePaymentAsync(Requests.Create("display-4"), cancellationToken: Ct)).Payment;
        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Qr && s.PaymentId == created.PaymentId, s_timeout, Ct);

        // Unplugged; the customer pays at once; the display stays away for 6 s.
        var noticed = WhenLink(gateway, s => s.State != DisplayLinkState.Online);
        await unplug.CancelAsync();
        await device;
        first.Dispose();
        await noticed;
        using (var watch = gateway.Payments.WatchPayment(new WatchPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct))
        {
            var latest = await GatewayFactory.NextAsync(watch);
            await gateway.PayAsync(created.Khqr);
            while (latest.State == State.Pending)
            {
                gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
                latest = await GatewayFactory.NextAsync(watch);
            }

            Assert.Equal(State.Paid, latest.State);
        }

        await PassPortChecksAsync(clock, 60);

        // Replugged behind the same path: one port check later the display is driven again.
        var seenBefore = _seen.Count;
        using var second = PseudoTerminal.Open();
        Repoint(second.SlavePath);
        var replugged = emulator.RunAsync(second.Master, Ct);
        var shown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gateway.Services.GetRequiredService<ConfiguredDisplays>().Find(Terminal)!.Controller.Shown += s =>
        {
            if (s is ResultScreen r && r.PaymentId == created.PaymentId)
            {
                shown.TrySetResult(); // the bridge heard it first (it subscribed first): the hold runs from now
            }
        };
        await PassPortChecksAsync(clock, 1);
        var result = await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Status && emulator.Boots == 2, s_timeout, Ct);
        await shown.Task.WaitAsync(s_timeout, Ct);
        clock.Fake.Advance(hold);
        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle && emulator.Boots == 2, s_timeout, Ct);

        Assert.Equal((created.PaymentId, DisplayStatus.Paid), (result.PaymentId, result.Status));
        Assert.Equal(
            ["Blank", "Status " + created.PaymentId + " Paid", "Idle"],
            _seen.Skip(seenBefore).Select(s => s.Kind == DisplayScreenKind.Status ? $"Status {s.PaymentId} {s.Status}" : s.Kind.ToString()).Distinct());
    }

    [Fact]
    public async Task With_one_percent_of_bytes_corrupted_the_display_still_converges_to_paid()
    {
        RequirePty();
        using var pty = PseudoTerminal.Open();
        Repoint(pty.SlavePath);
        var emulator = Emulator(new EmulatorOptions { CorruptRate = 0.01, Seed = 11 });
        var device = emulator.RunAsync(pty.Master, Ct);
        await using var gateway = Gateway(TimeSpan.FromMinutes(5));

        var paid = await gateway.CreatePaidAsync("display-3");
        var screen = await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Status && s.PaymentId == paid.PaymentId, s_timeout, Ct);

        Assert.Equal(DisplayStatus.Paid, screen.Status);
        Assert.True(emulator.FramesDropped + Statuses(gateway).Single().Status.FramesDropped > 0, "the corruption reached the decoders");
    }

    [Fact]
    public async Task A_missing_display_port_and_a_display_that_never_answers_neither_delay_nor_fail_payments()
    {
        RequirePty();
        using var silent = PseudoTerminal.Open(); // nothing runs on its master: the device never says a word
        var frozen = new FakeTimeProvider(DateTimeOffset.UnixEpoch); // the links' timers never fire: a payment waiting on a display would wait forever
        await using var gateway = new GatewayFactory
        {
            ConfigureHost = builder =>
            {
                builder.UseSetting("Displays:0:TerminalId", Terminal);
                builder.UseSetting("Displays:0:PortName", Path.Combine(_directory, "unplugged"));
                builder.UseSetting("Displays:1:TerminalId", "till-2");
                builder.UseSetting("Displays:1:PortName", silent.SlavePath);
                builder.ConfigureTestServices(services => services.AddSingleton(new DisplayClock(frozen)));
            },
        };

        var paid = await gateway.CreatePaidAsync("no-display-1").WaitAsync(s_timeout, Ct);
        var created = await gateway.Payments.CreatePaymentAsync(Requests.Create("no-display-2", terminal: "till-2"), cancellationToken: Ct)
            .ResponseAsync.WaitAsync(s_timeout, Ct);

        Assert.Equal(State.Paid, paid.State);
        Assert.Equal(State.Pending, created.Payment.State);
        Assert.All(Statuses(gateway), d => Assert.NotEqual(DisplayLinkState.Online, d.Status.State));
    }

    [Fact]
    public async Task A_display_without_a_port_stops_the_gateway_at_start_naming_the_setting()
    {
        await using var gateway = new GatewayFactory { ConfigureHost = b => b.UseSetting("Displays:0:TerminalId", Terminal) };

        var e = Assert.ThrowsAny<Microsoft.Extensions.Options.OptionsValidationException>(() => gateway.Services);

        Assert.Contains("Displays:0:PortName is required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_displays_the_display_service_lists_none()
    {
        await using var gateway = new GatewayFactory();

        var statuses = await new Bakong.Grpc.Display.V1.DisplayService.DisplayServiceClient(gateway.Channel).ListDisplaysAsync(new(), cancellationToken: Ct);

        Assert.Empty(statuses.Displays);
    }

    private static IReadOnlyList<DisplayLinkReport> Statuses(GatewayFactory gateway) =>
        gateway.Services.GetRequiredService<IDisplayStatusReader>().ReadAll();

    private static void RequirePty()
    {
        if (!PseudoTerminal.IsSupported)
        {
            Assert.Skip("pseudo-terminals need Linux");
        }
    }

    private static Task<DisplayLinkStatus> WhenLink(GatewayFactory gateway, Func<DisplayLinkStatus, bool> predicate)
    {
        var controller = gateway.Services.GetRequiredService<ConfiguredDisplays>().Find(Terminal)!.Controller;
        var reached = new TaskCompletionSource<DisplayLinkStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        controller.StatusChanged += s =>
        {
            if (predicate(s))
            {
                reached.TrySetResult(s);
            }
        };
        return reached.Task.WaitAsync(s_timeout, Ct);
    }

    private DisplayEmulator Emulator(EmulatorOptions options)
    {
        var emulator = new DisplayEmulator(new DeviceIdentity(), options, TimeProvider.System);
        emulator.ScreenChanged += _seen.Enqueue;
        return emulator;
    }

    /// <summary>Lets <paramref name="checks"/> port checks pass on the display clock, each once the port owner waits on it.</summary>
    private static async Task PassPortChecksAsync(ObservedClock clock, int checks)
    {
        var watch = TimeSpan.FromMilliseconds(100); // the port owner's check of a missing port
        for (var i = 0; i < checks; i++)
        {
            await clock.WaitForTimerAsync(watch);
            clock.Fake.Advance(watch);
        }
    }

    private GatewayFactory Gateway(TimeSpan resultHold, TimeProvider? displayClock = null)
    {
        var gateway = new GatewayFactory
        {
            ConfigureHost = builder =>
            {
                builder.UseSetting("Displays:0:TerminalId", Terminal);
                builder.UseSetting("Displays:0:PortName", PortLink);
                builder.UseSetting("Displays:0:ResultHold", resultHold.ToString());
                builder.ConfigureTestServices(services => services.AddSingleton(new DisplayClock(displayClock ?? TimeProvider.System)));
            },
        };
        _ = gateway.Services; // start it: the display service opens the port
        return gateway;
    }

    private void Repoint(string target)
    {
        var temp = PortLink + ".new";
        File.Delete(temp);
        File.CreateSymbolicLink(temp, target);
        File.Move(temp, PortLink, overwrite: true);
    }
}
