using System.Text.Json;
using Bakong.EndToEnd.Tests.Processes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bakong.EndToEnd.Tests.Kiosk;

/// <summary>
/// The kiosk page against a gateway that needs API keys (<c>Auth:Mode</c> <c>ApiKeys</c>): paired by the URL that
/// <c>bakong clients add --role kiosk</c> prints, unpaired, and with its key revoked.
/// </summary>
public sealed class KioskPairingTests : IDisposable
{
    private const string Terminal = "KIOSK-E2E";
    private const string KeyStorage = "bakong.kiosk.key";
    private const float ScreenTimeoutMs = 30_000;

    private readonly string _data = Path.Combine(Path.GetTempPath(), "bakong-e2e-pairing-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Dictionary<string, string> Settings => new()
    {
        ["Storage__Path"] = Path.Combine(_data, "bakong.db"),
        ["Auth__Mode"] = "ApiKeys",
    };

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task A_page_opened_from_the_pairing_url_drops_the_key_from_the_address_bar_and_takes_a_payment_to_paid()
    {
        var (key, pairingUrl) = await AddKioskAsync();
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var page = await browser.NewPageAsync(1080, 1920);

        await page.GotoAsync(OnGateway(pairingUrl, gateway));

        await Expect(page).ToHaveURLAsync(new Uri(gateway.WebUrl, "kiosk?terminal=" + Terminal).AbsoluteUri);
        Assert.Equal(key, await page.EvaluateAsync<string?>("k => localStorage.getItem(k)", KeyStorage));
        await page.GetByLabel("Amount").FillAsync("7.25");
        await page.GetByRole(AriaRole.Radio, new() { Name = "USD dollar" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Show QR" }).ClickAsync();
        var payment = await KioskPageTests.ShowsQrAsync(page, gateway, key); // the card too: fetched with the key
        Assert.Equal(Terminal, payment.TerminalId);
        await KioskPageTests.PayAsync(gateway, payment.Khqr);
        await KioskPageTests.ShowsResultAsync(page, "PAID", "Paid");
        Assert.DoesNotContain(key, page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_key_a_gateway_that_needs_keys_gets_the_not_paired_screen_saying_how_to_pair()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var page = await browser.NewPageAsync(1280, 800);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=" + Terminal);

        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "unpaired", new() { Timeout = ScreenTimeoutMs });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not paired" })).ToBeVisibleAsync();
        await Expect(page.Locator(".pairing-help")).ToContainTextAsync("bakong clients add --role kiosk --terminal " + Terminal);
        await Expect(page.Locator("#qr-card > svg")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Show QR" })).ToBeHiddenAsync();
        await KioskBrowser.ScreenshotAsync(page, "kiosk-not-paired");
    }

    [Fact]
    public async Task A_revoked_key_is_forgotten_and_the_page_shows_not_paired()
    {
        var (key, pairingUrl) = await AddKioskAsync();
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var page = await browser.NewPageAsync(1080, 1920);

        // Paired: the page's check at load (ListPayments with the key) is answered OK.
        var check = await page.RunAndWaitForResponseAsync(
            () => page.GotoAsync(OnGateway(pairingUrl, gateway)),
            r => r.Url.EndsWith("/bakong.payments.v1.PaymentService/ListPayments", StringComparison.Ordinal));
        Assert.Equal(200, check.Status);
        Assert.Null(await check.HeaderValueAsync("grpc-status")); // a refusal is trailers-only: its status in the headers
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "start");

        // The operator revokes it (offline, as with the gateway stopped), and the gateway comes back.
        await gateway.StopAsync(Ct);
        Assert.True(ApiKeyOf(key, out var clientId));
        await RunCliAsync("clients", "revoke", clientId, "--data", _data);
        await gateway.StartAgainAsync(Ct);

        await page.GetByLabel("Amount").FillAsync("5000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show QR" }).ClickAsync();

        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "unpaired", new() { Timeout = ScreenTimeoutMs });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not paired" })).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("k => localStorage.getItem(k)", KeyStorage));
    }

    /// <summary>A kiosk client for <see cref="Terminal"/> made offline with the real <c>bakong clients add</c>: its key and pairing URL.</summary>
    private async Task<(string Key, string PairingUrl)> AddKioskAsync()
    {
        var output = await RunCliAsync("clients", "add", "--role", "kiosk", "--terminal", Terminal, "--json", "--data", _data);
        var json = JsonDocument.Parse(output.Split('\n').Single(l => l.StartsWith('{'))).RootElement;
        return (json.GetProperty("key").GetString()!, json.GetProperty("pairingUrl").GetString()!);
    }

    /// <summary>The pairing URL (made for the default Web endpoint) on this gateway's own port.</summary>
    private static string OnGateway(string pairingUrl, GatewayProcess gateway)
    {
        var printed = new Uri(pairingUrl);
        Assert.Equal("http://127.0.0.1:5081/kiosk", printed.GetLeftPart(UriPartial.Path));
        return new Uri(gateway.WebUrl, printed.PathAndQuery).AbsoluteUri + printed.Fragment;
    }

    private static bool ApiKeyOf(string key, out string clientId)
    {
        // bk_<12-character client id>_<secret>
        clientId = key.Length > 15 ? key.Substring(3, 12) : string.Empty;
        return key.StartsWith("bk_", StringComparison.Ordinal) && key[15] == '_';
    }

    private static async Task<string> RunCliAsync(params string[] arguments)
    {
        await using var cli = ChildProcess.Start(Built.Cli, arguments);
        Assert.True(await cli.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct) == 0, cli.Output);
        return cli.Output;
    }
}
