using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Bakong.EndToEnd.Tests.Kiosk;
using Bakong.EndToEnd.Tests.Processes;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bakong.EndToEnd.Tests.Dashboard;

/// <summary>
/// The operator dashboard at <c>/admin</c> in headless Chromium against the real gateway process with API keys:
/// paired by the URL <c>bakong clients add --role operator</c> prints, refusing a kiosk's key, a payment appearing and
/// turning PAID live, today's totals, and renewing the token.
/// </summary>
public sealed class DashboardPageTests : IDisposable
{
    private const string KeyStorage = "bakong.admin.key";
    private const float Timeout = 30_000;

    private readonly string _data = Path.Combine(Path.GetTempPath(), "bakong-e2e-dashboard-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Dictionary<string, string> Settings => new()
    {
        ["Storage__Path"] = Path.Combine(_data, "bakong.db"),
        ["Auth__Mode"] = "ApiKeys",

        // The renewal test sets a token two days from expiry: the gateway must not renew it by itself first.
        ["Bakong__Tokens__AutoRenew"] = "false",
    };

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task The_pairing_url_opens_the_dashboard_keeps_the_key_and_drops_it_from_the_address_bar()
    {
        var (key, pairingUrl) = await AddClientAsync("--role", "operator");
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var page = await browser.NewPageAsync(1280, 900);

        await page.GotoAsync(OnGateway(pairingUrl, gateway));

        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "dashboard", new() { Timeout = Timeout });
        await Expect(page).ToHaveURLAsync(new Uri(gateway.WebUrl, "admin").AbsoluteUri);
        Assert.Equal(key, await page.EvaluateAsync<string?>("k => localStorage.getItem(k)", KeyStorage));
        await Expect(page.Locator("#token-days")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ days left$"));
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kiosk_key_pasted_into_the_form_is_refused_with_a_clear_screen_and_forgotten()
    {
        var (kioskKey, _) = await AddClientAsync("--role", "kiosk", "--terminal", "KIOSK-1");
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var page = await browser.NewPageAsync(360, 740);

        await page.GotoAsync(gateway.WebUrl + "admin");
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "pair", new() { Timeout = Timeout });
        await page.GetByLabel("Operator key").FillAsync(kioskKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();

        await Expect(page.Locator("#pair-reason")).ToHaveTextAsync(
            "This key is not an operator's key: a terminal's or kiosk's key cannot open the dashboard.", new() { Timeout = Timeout });
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "pair");
        await Expect(page.Locator("#dashboard")).ToBeHiddenAsync();
        await Expect(page.GetByLabel("Operator key")).ToHaveValueAsync(string.Empty);
        Assert.Null(await page.EvaluateAsync<string?>("k => localStorage.getItem(k)", KeyStorage));
        await KioskBrowser.ScreenshotAsync(page, "dashboard-refused-phone");
    }

    [Fact]
    public async Task A_payment_appears_live_turns_paid_when_paid_and_today_s_totals_count_it()
    {
        var (key, pairingUrl) = await AddClientAsync("--role", "operator");
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var page = await browser.NewPageAsync(1280, 900);
        await page.GotoAsync(OnGateway(pairingUrl, gateway));
        await Expect(page.Locator("#payments-empty")).ToBeVisibleAsync(new() { Timeout = Timeout });

        var first = await CreateAsync(gateway, key, "POS-1", 12, 500_000_000);
        var second = await CreateAsync(gateway, key, "POS-2", 3, 0);

        var row = page.Locator($"#payments li[data-payment-id='{first.PaymentId}']");
        await Expect(row).ToHaveAttributeAsync("data-state", "PENDING", new() { Timeout = Timeout });
        await Expect(row).ToContainTextAsync("12.50 USD");
        await Expect(page.Locator($"#payments li[data-payment-id='{second.PaymentId}']")).ToHaveAttributeAsync("data-state", "PENDING", new() { Timeout = Timeout });

        using (var http = new HttpClient { BaseAddress = gateway.WebUrl })
        {
            using var paid = await http.PostAsJsonAsync("sandbox/control/pay", new { qr = first.Khqr }, Ct);
            Assert.True(paid.IsSuccessStatusCode, await paid.Content.ReadAsStringAsync(Ct));
        }

        await Expect(row).ToHaveAttributeAsync("data-state", "PAID", new() { Timeout = Timeout });
        var totals = page.Locator("#totals tbody tr");
        await Expect(totals.Filter(new() { HasText = "POS-1" }).Filter(new() { HasText = "PAID" }))
            .ToContainTextAsync("12.50 USD", new() { Timeout = Timeout });
        await Expect(totals.Filter(new() { HasText = "POS-1" }).Filter(new() { HasText = "PAID" }).Locator("td").Nth(2)).ToHaveTextAsync("1");
        await Expect(totals.Filter(new() { HasText = "POS-2" }).Filter(new() { HasText = "PENDING" })).ToContainTextAsync("3.00 USD");
        await KioskBrowser.ScreenshotAsync(page, "dashboard-desktop");
        await page.SetViewportSizeAsync(360, 740);
        await KioskBrowser.ScreenshotAsync(page, "dashboard-phone");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 360"), "the page scrolls sideways at 360 px");
    }

    [Fact]
    public async Task Renew_replaces_a_token_two_days_from_expiry_and_the_days_left_go_up()
    {
        var (key, pairingUrl) = await AddClientAsync("--role", "operator");
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        using var http = new HttpClient { BaseAddress = gateway.WebUrl };

        // A token of the sandbox that expires in two days, registered to an e-mail (so renewable), set as the operator would.
        using var issued = await http.PostAsJsonAsync("sandbox/control/tokens", new { email = "ops@shop.kh", lifetimeSeconds = 2 * 86_400 }, Ct);
        Assert.True(issued.IsSuccessStatusCode, await issued.Content.ReadAsStringAsync(Ct));
        var token = JsonDocument.Parse(await issued.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("token").GetString();
        using var set = new HttpRequestMessage(HttpMethod.Post, "v1/token") { Content = JsonContent.Create(new { token, email = "ops@shop.kh" }) };
        set.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var setResponse = await http.SendAsync(set, Ct);
        Assert.True(setResponse.IsSuccessStatusCode, await setResponse.Content.ReadAsStringAsync(Ct));

        var page = await browser.NewPageAsync(1280, 900);
        await page.GotoAsync(OnGateway(pairingUrl, gateway));
        await Expect(page.Locator("#token-days")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[12] days left$"), new() { Timeout = Timeout });

        await page.GetByRole(AriaRole.Button, new() { Name = "Renew now" }).ClickAsync();

        await Expect(page.Locator("#token-days")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(89|90) days left$"), new() { Timeout = Timeout });
        Assert.DoesNotContain(token!, await page.ContentAsync(), StringComparison.Ordinal);
    }

    private static async Task<Payment> CreateAsync(GatewayProcess gateway, string key, string terminal, long units, int nanos)
    {
        var headers = new Metadata { { "authorization", "Bearer " + key } };
        var response = await gateway.Payments.CreatePaymentAsync(
            new CreatePaymentRequest
            {
                RequestId = Guid.NewGuid().ToString("N"),
                TerminalId = terminal,
                Amount = new Money { CurrencyCode = "USD", Units = units, Nanos = nanos },
            },
            headers,
            cancellationToken: Ct);
        return response.Payment;
    }

    /// <summary>A client made offline with the real <c>bakong clients add</c>: its key and pairing URL.</summary>
    private async Task<(string Key, string PairingUrl)> AddClientAsync(params string[] arguments)
    {
        await using var cli = ChildProcess.Start(Built.Cli, ["clients", "add", .. arguments, "--json", "--data", _data]);
        Assert.True(await cli.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct) == 0, cli.Output);
        var json = JsonDocument.Parse(cli.Output.Split('\n').Single(l => l.StartsWith('{'))).RootElement;
        return (json.GetProperty("key").GetString()!, json.GetProperty("pairingUrl").GetString()!);
    }

    /// <summary>The pairing URL (made for the default Web endpoint) on this gateway's own port.</summary>
    private static string OnGateway(string pairingUrl, GatewayProcess gateway)
    {
        var printed = new Uri(pairingUrl);
        Assert.Equal("http://127.0.0.1:5081/admin", printed.GetLeftPart(UriPartial.Path));
        return new Uri(gateway.WebUrl, printed.PathAndQuery).AbsoluteUri + printed.Fragment;
    }
}
