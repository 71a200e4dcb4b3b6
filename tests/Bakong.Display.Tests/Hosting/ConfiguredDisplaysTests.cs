using Bakong.Display.Link;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bakong.Display.Tests.Hosting;

/// <summary>The configured displays on their own, as a host without payments would register them.</summary>
public sealed class ConfiguredDisplaysTests
{
    [Fact]
    public void The_display_library_knows_nothing_of_payments()
    {
        var references = typeof(ConfiguredDisplays).Assembly.GetReferencedAssemblies().Select(a => a.Name);

        Assert.DoesNotContain("Bakong.Payments", references);
    }

    [Fact]
    public void Each_configured_display_shows_the_idle_screen_the_host_gives_until_told_otherwise()
    {
        using var provider = Provider(new()
        {
            ["Displays:0:TerminalId"] = "POS-01",
            ["Displays:0:PortName"] = "/dev/ttyACM0",
            ["Displays:0:IdleText"] = "Welcome",
            ["Displays:1:TerminalId"] = "POS-02",
            ["Displays:1:PortName"] = "/dev/ttyACM1",
        });

        var displays = provider.GetRequiredService<ConfiguredDisplays>();

        Assert.Equal(["POS-01", "POS-02"], displays.All.Select(d => d.Options.TerminalId));
        Assert.Equal(new IdleScreen("Sokha Coffee", "Welcome"), displays.Find("POS-01")!.Controller.Desired);
        Assert.Equal(new IdleScreen("Sokha Coffee", ""), displays.Find("POS-02")!.Controller.Desired);
        Assert.Null(displays.Find("POS-03"));
    }

    [Fact]
    public void The_status_reader_reports_every_configured_display_in_order_and_none_when_none_is_configured()
    {
        using var two = Provider(new()
        {
            ["Displays:0:TerminalId"] = "POS-02",
            ["Displays:0:PortName"] = "/dev/ttyACM0",
            ["Displays:1:TerminalId"] = "POS-01",
            ["Displays:1:PortName"] = "/dev/ttyACM1",
        });
        using var none = Provider([]);

        var reports = two.GetRequiredService<IDisplayStatusReader>().ReadAll();

        Assert.Equal(
            [("POS-02", "/dev/ttyACM0", DisplayLinkState.Disconnected), ("POS-01", "/dev/ttyACM1", DisplayLinkState.Disconnected)],
            reports.Select(r => (r.TerminalId, r.PortName, r.Status.State)));
        Assert.Empty(none.GetRequiredService<IDisplayStatusReader>().ReadAll());
    }

    [Fact]
    public void Bad_display_settings_fail_at_start_naming_each_setting()
    {
        using var provider = Provider(new()
        {
            ["Displays:0:TerminalId"] = "POS-01",
            ["Displays:0:PortName"] = "/dev/ttyACM0",
            ["Displays:1:TerminalId"] = "POS-01",
            ["Displays:1:PortName"] = "",
            ["Displays:1:BaudRate"] = "12345",
            ["Displays:2:TerminalId"] = "POS-02",
            ["Displays:2:PortName"] = "/dev/ttyACM0",
            ["Displays:2:ResultHold"] = "00:11:00",
            ["Displays:2:IdleText"] = new string('x', 97),
        });

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DisplaysOptions>>().Value);

        Assert.Equal(
            [
                "Displays:1:TerminalId POS-01 is configured twice",
                "Displays:1:PortName is required (e.g. /dev/ttyACM0)",
                "Displays:1:BaudRate must be a standard rate (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)",
                "Displays:2:PortName /dev/ttyACM0 is used by two displays (one owner per port)",
                "Displays:2:ResultHold must be between 00:00:00 and 00:10:00",
                "Displays:2:IdleText must be at most 96 UTF-8 bytes",
            ],
            e.Failures);
    }

    [Fact]
    public void A_qr_mac_key_comes_from_the_setting_or_a_file_and_a_bad_one_fails_at_start_without_being_echoed()
    {
        var file = Path.GetTempFileName();
        try
        {
            var key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
            File.WriteAllText(file, key.ToUpperInvariant() + "\n");
            using var good = Provider(new()
            {
                ["Displays:0:TerminalId"] = "POS-01",
                ["Displays:0:PortName"] = "/dev/ttyACM0",
                ["Displays:0:QrMacKey"] = key,
                ["Displays:1:TerminalId"] = "POS-02",
                ["Displays:1:PortName"] = "/dev/ttyACM1",
                ["Displays:1:QrMacKeyFile"] = file,
            });
            var secret = "zz" + key[2..];
            using var bad = Provider(new()
            {
                ["Displays:0:TerminalId"] = "POS-01",
                ["Displays:0:PortName"] = "/dev/ttyACM0",
                ["Displays:0:QrMacKey"] = secret,
                ["Displays:1:TerminalId"] = "POS-02",
                ["Displays:1:PortName"] = "/dev/ttyACM1",
                ["Displays:1:QrMacKey"] = new string('a', 130),
                ["Displays:2:TerminalId"] = "POS-03",
                ["Displays:2:PortName"] = "/dev/ttyACM2",
                ["Displays:2:QrMacKeyFile"] = file + ".missing",
                ["Displays:3:TerminalId"] = "POS-04",
                ["Displays:3:PortName"] = "/dev/ttyACM3",
                ["Displays:3:QrMacKey"] = key,
                ["Displays:3:QrMacKeyFile"] = file,
            });

            var displays = good.GetRequiredService<IOptions<DisplaysOptions>>().Value.Displays;
            var e = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<IOptions<DisplaysOptions>>().Value);

            Assert.All(displays, d => Assert.Equal(key, Convert.ToHexStringLower(d.ReadQrMacKey().Span)));
            Assert.Equal(
                [
                    "Displays:0:QrMacKey: the QR MAC key must be hex digits (an even number of them)",
                    "Displays:1:QrMacKey: the QR MAC key must be 1 to 64 bytes (32 random bytes recommended)",
                    "Displays:2:QrMacKey: QrMacKeyFile cannot be read (FileNotFoundException)",
                    "Displays:3:QrMacKey: set QrMacKey or QrMacKeyFile, not both",
                ],
                e.Failures);
            Assert.DoesNotContain(key[4..20], e.Message, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_display_with_a_problem_is_unhealthy_though_online_and_its_health_data_has_the_drops_per_reason()
    {
        var controller = new DisplayController("POS-01");
        controller.UpdateStatus(s => s with { State = DisplayLinkState.Online, ProtocolMinor = 1, Problem = "display requires a QR key (Displays:N:QrMacKey)", Drops = new FrameDrops(0, 0, 0, 2, 0) });

        var health = await new DisplayHealthCheck(controller).CheckHealthAsync(new(), TestContext.Current.CancellationToken);

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, health.Status);
        Assert.Equal("Online: display requires a QR key (Displays:N:QrMacKey)", health.Description);
        Assert.Equal(("1.1", 2L), (health.Data["protocol"], ((Dictionary<string, long>)health.Data["framesDroppedByReason"])["bad_crc"]));
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddBakongDisplays(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.Configure<DisplayIdleOptions>(o => o.MerchantName = "Sokha Coffee");
        return services.BuildServiceProvider();
    }
}
