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
