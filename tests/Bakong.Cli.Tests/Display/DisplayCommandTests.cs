using Bakong.Cli.Display;
using Bakong.Cli.Payments;
using Bakong.Cli.Tests.Payments;
using Bakong.Display;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Display.Transport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Bakong.Cli.Tests.Display;

public sealed class DisplayCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Emulate_prints_its_pty_for_the_gateway_and_status_shows_the_display_online()
    {
        if (!PseudoTerminal.IsSupported)
        {
            Assert.Skip("pseudo-terminals need Linux");
        }

        var output = new LineWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var emulate = CliApp.RunAsync(["display", "emulate"], new CliContext(TimeProvider.System, TextReader.Null, output, new LineWriter()), stop.Token);
        var path = (await output.LineAsync("Display emulator on ")).Split(' ')[3];
        var hint = await output.LineAsync("Start the gateway with:");

        await using var cli = new CliGateway();
        await using var gateway = cli.WithWebHostBuilder(b =>
        {
            b.UseSetting("Displays:0:TerminalId", "POS-01");
            b.UseSetting("Displays:0:PortName", path);
            b.ConfigureTestServices(s => s.AddSingleton(new DisplayClock(TimeProvider.System)));
        });
        var server = gateway.Server;
        var idle = await output.LineAsync(" IDLE ");
        var status = await RunAgainstAsync(server, "display", "status");

        Assert.Equal("Start the gateway with: Displays__0__TerminalId=POS-01 Displays__0__PortName=" + path, hint);
        Assert.EndsWith("IDLE Demo Shop", idle, StringComparison.Ordinal);
        Assert.Equal(0, status.ExitCode);
        Assert.StartsWith("POS-01  ONLINE  port " + path + "  boot ", status.Output, StringComparison.Ordinal);
        Assert.Contains("firmware emu-1.0.0  model bakong-emulator  last ACK ", status.Output, StringComparison.Ordinal);
        await stop.CancelAsync();
        Assert.Equal(0, await emulate.WaitAsync(CliGateway.Timeout, Ct));
    }

    [Fact]
    public async Task Test_sends_each_command_through_the_gateway_and_prints_the_displays_answer()
    {
        if (!PseudoTerminal.IsSupported)
        {
            Assert.Skip("pseudo-terminals need Linux");
        }

        using var pty = PseudoTerminal.Open();
        var emulator = new Bakong.Display.Emulation.DisplayEmulator(new DeviceIdentity(), new Bakong.Display.Emulation.EmulatorOptions(), TimeProvider.System);
        var device = emulator.RunAsync(pty.Master, Ct);
        await using var cli = new CliGateway();
        await using var gateway = cli.WithWebHostBuilder(b =>
        {
            b.UseSetting("Displays:0:TerminalId", "POS-01");
            b.UseSetting("Displays:0:PortName", pty.SlavePath);
            b.ConfigureTestServices(s => s.AddSingleton(new DisplayClock(TimeProvider.System)));
        });
        var server = gateway.Server;
        await emulator.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle, CliGateway.Timeout, Ct);

        var beep = await RunAgainstAsync(server, "display", "test", "beep", "--terminal", "POS-01", "--pattern", "success", "--repeat", "2");
        var config = await RunAgainstAsync(server, "display", "test", "set-config", "--terminal", "POS-01", "--brightness", "50", "--language", "km");
        var clear = await RunAgainstAsync(server, "display", "test", "clear", "--terminal", "POS-01");
        var state = await RunAgainstAsync(server, "display", "test", "get-state", "--terminal", "POS-01");
        var unknown = await RunAgainstAsync(server, "display", "test", "get-state", "--terminal", "POS-09");
        var bad = await RunAgainstAsync(server, "display", "test", "set-config", "--terminal", "POS-01", "--brightness", "101");

        Assert.Equal((0, "POS-01  BEEP  OK\n"), (beep.ExitCode, beep.Output));
        Assert.Equal((0, "POS-01  SET_CONFIG  OK\n"), (config.ExitCode, config.Output));
        Assert.Equal((0, "POS-01  CLEAR  OK\n"), (clear.ExitCode, clear.Output));
        Assert.Equal(0, state.ExitCode);
        // The link runs on the real clock, so a busy machine can let a 250 ms RTO pass and the display answer a
        // retransmit from its cache: the counts of frames and duplicates are the display's, not the test's.
        Assert.Matches("^POS-01  GET_STATE  screen IDLE  frames ok [0-9]+  dropped cobs 0 short 0 length 0 crc 0 long 0  duplicates [0-9]+\n$", state.Output);
        Assert.Equal((1, "NOT_FOUND: No display is configured for this terminal_id.\n"), (unknown.ExitCode, unknown.Error));
        Assert.Equal((ExitCodes.BadInput, "INVALID_ARGUMENT: set_config.brightness: must be 0-100 (percent)\n"), (bad.ExitCode, bad.Error));
    }

    [Fact]
    public async Task Status_prints_the_links_last_fault_and_test_refuses_a_display_that_is_not_online()
    {
        var notATty = Path.Combine(Directory.CreateTempSubdirectory("bakong-cli-display-").FullName, "not-a-tty");
        await File.WriteAllTextAsync(notATty, "", Ct); // there, but it will not open as a serial port
        await using var cli = new CliGateway();
        await using var gateway = cli.WithWebHostBuilder(b =>
        {
            b.UseSetting("Displays:0:TerminalId", "POS-01");
            b.UseSetting("Displays:0:PortName", notATty);
            b.ConfigureTestServices(s => s.AddSingleton(new DisplayClock(TimeProvider.System)));
        });
        var controller = gateway.Services.GetRequiredService<ConfiguredDisplays>().Find("POS-01")!.Controller;
        var faulted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        controller.StatusChanged += s =>
        {
            if (s.LastFault is not null)
            {
                faulted.TrySetResult();
            }
        };
        if (controller.Status.LastFault is null)
        {
            await faulted.Task.WaitAsync(CliGateway.Timeout, Ct);
        }

        var status = await RunAgainstAsync(gateway.Server, "display", "status");
        var test = await RunAgainstAsync(gateway.Server, "display", "test", "clear", "--terminal", "POS-01");

        Assert.Equal(1, status.ExitCode);
        Assert.Matches("^POS-01  DISCONNECTED  port .*  last fault PORT (just now|[0-9.]+ s ago): .+\n$", status.Output);
        Assert.Equal(1, test.ExitCode);
        Assert.StartsWith("FAILED_PRECONDITION: The display's link is DISCONNECTED: ", test.Error, StringComparison.Ordinal);
        File.Delete(notATty);
    }

    [Fact]
    public async Task Test_set_config_without_a_setting_is_refused_before_any_call()
    {
        var run = await Cli.RunAsync("display", "test", "set-config", "--terminal", "POS-01");

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains("set-config needs at least one of --brightness, --beep-on-result, --language.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nak_is_printed_with_the_protocols_name_and_is_not_success()
    {
        var (line, ok) = DisplayTestCommand.Describe(
            new Grpc.Display.V1.SendDisplayCommandRequest { TerminalId = "POS-01", Beep = new() },
            new Grpc.Display.V1.SendDisplayCommandResponse { Ack = new() { Result = Grpc.Display.V1.Ack.Types.Result.BadPayload } });

        Assert.Equal(("POS-01  BEEP  NAK BAD_PAYLOAD", false), (line, ok));
    }

    [Fact]
    public async Task Emulate_refuses_a_mac_key_that_is_not_1_to_64_bytes_of_hex_without_echoing_it()
    {
        var run = await Cli.RunAsync("display", "emulate", "--mac-key", "0102zz");

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains("--mac-key: the QR MAC key must be hex digits (an even number of them)", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("0102zz", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_of_a_gateway_without_displays_says_how_to_configure_one()
    {
        await using var cli = new CliGateway();

        var run = await cli.RunAsync("display", "status");

        Assert.Equal((0, "No displays configured (Displays:0:TerminalId, Displays:0:PortName).\n"), (run.ExitCode, run.Output));
    }

    [Fact]
    public void A_qr_screen_draws_the_qr_with_amount_merchant_and_countdown()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600);
        var screen = DeviceScreen.Blank with
        {
            Kind = DisplayScreenKind.Qr, PaymentId = "p1", AmountMinor = 1250, Currency = 840, Exponent = 2,
            MerchantName = "Sokha Coffee", Qr = "00020101021229180014demo_shop@devb5204599953038405405", CountdownEnd = now.AddSeconds(299.5),
        };

        var text = ScreenText.Render(screen, now, "header");

        Assert.Contains("Sokha Coffee  ·  12.50 USD", text, StringComparison.Ordinal);
        Assert.Contains("expires in 5:00", text, StringComparison.Ordinal);
        Assert.Contains('█', text);
        Assert.Contains("PAID ✔ p1 12.50 USD", ScreenText.Summary(screen with { Kind = DisplayScreenKind.Status, Status = DisplayStatus.Paid }), StringComparison.Ordinal);
    }

    private static async Task<CliRun> RunAgainstAsync(TestServer server, params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        GatewayClient.HandlerOverride.Value = server.CreateHandler;
        var exit = await CliApp.RunAsync([.. args, "--server", server.BaseAddress.ToString()], new CliContext(TimeProvider.System, TextReader.Null, output, error), Ct);
        return new CliRun(exit, output.ToString(), error.ToString());
    }
}
