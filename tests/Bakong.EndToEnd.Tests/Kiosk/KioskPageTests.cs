using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Bakong.EndToEnd.Tests.Processes;
using Bakong.Grpc.Payments.V1;
using Grpc.Net.Client;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bakong.EndToEnd.Tests.Kiosk;

/// <summary>
/// The kiosk page in headless Chromium against the real gateway process: CreatePayment and WatchPayment over
/// gRPC-Web, the KHQR card from qr.svg, the customer paying through the sandbox's control API.
/// </summary>
public sealed class KioskPageTests
{
    /// <summary>How long a screen may take to appear; the gateway polls the sandbox every 2 s.</summary>
    private const float ScreenTimeoutMs = 30_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_payment_created_on_the_page_and_paid_in_the_sandbox_shows_paid()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(cancellationToken: Ct);
        var page = await browser.NewPageAsync(1080, 1920);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=KIOSK-E2E&result=600");
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "start");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en"); // the default profile's language
        await Expect(page.Locator("body")).Not.ToContainTextAsync("KIOSK-E2E", new() { UseInnerText = true }); // no technical id on screen
        await Expect(page.Locator("body")).Not.ToContainTextAsync("Terminal", new() { UseInnerText = true });
        await KioskBrowser.ScreenshotAsync(page, "kiosk-start");

        await page.GetByLabel("Amount").FillAsync("12.50");
        await page.GetByRole(AriaRole.Radio, new() { Name = "USD dollar" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Show QR" }).ClickAsync();
        var payment = await ShowsQrAsync(page, gateway);
        Assert.Equal(("USD", 12L, 500_000_000, "KIOSK-E2E"), (payment.Amount.CurrencyCode, payment.Amount.Units, payment.Amount.Nanos, payment.TerminalId));
        await Expect(page.Locator("body")).Not.ToContainTextAsync(payment.PaymentId, new() { UseInnerText = true });
        await KioskBrowser.ScreenshotAsync(page, "kiosk-qr");

        await PayAsync(gateway, payment.Khqr);

        await ShowsResultAsync(page, "PAID", "Paid");
        await Expect(page.Locator("#result-detail")).ToHaveTextAsync("12.50 USD received. Thank you!");
        await KioskBrowser.ScreenshotAsync(page, "kiosk-paid");
    }

    [Fact]
    public async Task A_payment_the_bank_declines_shows_payment_failed()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(cancellationToken: Ct);
        var page = await browser.NewPageAsync(1080, 1920);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=KIOSK-E2E&result=600");
        await page.GetByLabel("Amount").FillAsync("25000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show QR" }).ClickAsync();
        var payment = await ShowsQrAsync(page, gateway);

        await ControlAsync(gateway, "fail", payment.Khqr);

        await ShowsResultAsync(page, "FAILED", "Payment failed");
        await Expect(page.Locator("#result-detail")).ToHaveTextAsync("The bank declined the payment. Please try again.");
        Assert.Equal(Payment.Types.State.Failed, (await GetAsync(gateway, payment.PaymentId)).State);
        await KioskBrowser.ScreenshotAsync(page, "kiosk-failed");
    }

    [Fact]
    public async Task The_countdown_reaches_zero_and_the_page_shows_expired_at_1280x800()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(
            new Dictionary<string, string> { ["Polling__ExpiryGrace"] = "00:00:01" }, Ct);
        var page = await browser.NewPageAsync(1280, 800);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=KIOSK-E2E&expires=10&result=600");
        await page.GetByLabel("Amount").FillAsync("4000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show QR" }).ClickAsync();
        var payment = await ShowsQrAsync(page, gateway);
        Assert.Equal(10, Math.Round((payment.ExpireTime.ToDateTimeOffset() - payment.CreateTime.ToDateTimeOffset()).TotalSeconds)); // ?expires=10
        await KioskBrowser.ScreenshotAsync(page, "kiosk-qr-1280x800");

        await Expect(page.Locator("#countdown")).ToHaveTextAsync("0:00", new() { Timeout = ScreenTimeoutMs });
        await ShowsResultAsync(page, "EXPIRED", "Expired");
        await KioskBrowser.ScreenshotAsync(page, "kiosk-expired");
    }

    [Fact]
    public async Task Cancel_cancels_the_payment_shows_cancelled_then_goes_back_to_the_start()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(cancellationToken: Ct);
        var page = await browser.NewPageAsync(1280, 800);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=KIOSK-E2E&result=2");
        await page.GetByLabel("Amount").FillAsync("9900");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show QR" }).ClickAsync();
        var payment = await ShowsQrAsync(page, gateway);
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await ShowsResultAsync(page, "CANCELLED", "Cancelled");
        Assert.Equal(Payment.Types.State.Cancelled, (await GetAsync(gateway, payment.PaymentId)).State);
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "start", new() { Timeout = ScreenTimeoutMs }); // ?result=2
        await Expect(page.GetByLabel("Amount")).ToBeFocusedAsync();
        await Expect(page.GetByLabel("Amount")).ToHaveValueAsync("");
    }

    [Fact]
    public async Task A_dropped_watch_stream_resumes_after_the_last_version_seen_and_still_shows_paid()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(cancellationToken: Ct);
        var page = await browser.NewPageAsync(1080, 1920);

        // The page's first watch is held until the poller's first check is saved, so its first message is that
        // checked payment (version 2 or more): a check that finds nothing is not a message of its own.
        var firstCheckSaved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync(url => url.EndsWith("/bakong.payments.v1.PaymentService/WatchPayment", StringComparison.Ordinal), async route =>
        {
            await firstCheckSaved.Task;
            await route.ContinueAsync();
        });
        var watches = new List<WatchPaymentRequest>();
        page.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/bakong.payments.v1.PaymentService/WatchPayment", StringComparison.Ordinal) && request.PostDataBuffer is { } body)
            {
                lock (watches)
                {
                    watches.Add(WatchPaymentRequest.Parser.ParseFrom(body.AsSpan(5))); // after the gRPC-Web frame header
                }
            }
        };

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=KIOSK-E2E&result=600");
        await page.GetByLabel("Amount").FillAsync("5000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show QR" }).ClickAsync();
        var payment = await ShowsQrAsync(page, gateway);

        // The poller checks one payment at a time and saves each check before the next: its second call to Bakong
        // means the first check is saved. Then the page's watch shows that version (2, or 3 with the second check)
        // before the gateway goes away.
        for (var call = 0; call < 2; call++)
        {
            await gateway.WaitForLineAsync(l => l.Contains("check_transaction_by_md5", StringComparison.Ordinal) && l.Contains("attempt 1:", StringComparison.Ordinal), Ct);
        }

        firstCheckSaved.SetResult();
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-version", new Regex("^([2-9]|[1-9][0-9]+)$"), new() { Timeout = ScreenTimeoutMs });
        await gateway.StopAsync(Ct);
        await Expect(page.Locator("#watch-status")).ToHaveTextAsync("Reconnecting…", new() { Timeout = ScreenTimeoutMs });
        var lastSeen = long.Parse(await page.Locator("#app").GetAttributeAsync("data-version") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        await gateway.StartAgainAsync(Ct);
        await PayAsync(gateway, payment.Khqr);

        await ShowsResultAsync(page, "PAID", "Paid");
        var resumed = long.Parse(await page.Locator("#app").GetAttributeAsync("data-watch-resumes") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(resumed >= 1, "the page never resumed its watch");
        lock (watches)
        {
            var afterVersions = string.Join(",", watches.Select(w => w.AfterVersion));
            Assert.True(watches[0].AfterVersion == 1, "after_version of each watch: " + afterVersions); // it has the created version
            Assert.All(watches, w => Assert.Equal(payment.PaymentId, w.PaymentId));
            Assert.True(lastSeen >= 2, "the page had seen version " + lastSeen);
            Assert.Equal(lastSeen, watches[^1].AfterVersion);
        }
    }

    /// <summary>Waits for the QR screen with the card loaded, and returns the payment it shows (read over gRPC, with <paramref name="key"/> if given).</summary>
    internal static async Task<Payment> ShowsQrAsync(IPage page, GatewayProcess gateway, string? key = null, string cardAlt = "^KHQR code: scan with your bank app to pay ")
    {
        try
        {
            await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "qr", new() { Timeout = ScreenTimeoutMs });
        }
        catch (PlaywrightException e)
        {
            throw new InvalidOperationException("No QR screen; the page says: " + await page.Locator("#form-error").TextContentAsync(), e);
        }

        var card = page.GetByRole(AriaRole.Img, new() { NameRegex = new(cardAlt) });
        await Expect(card).ToBeVisibleAsync();
        await Expect(page.Locator("#qr-card > svg")).ToBeVisibleAsync(); // the card, fetched with the key
        var paymentId = await page.Locator("#app").GetAttributeAsync("data-payment-id");
        Assert.False(string.IsNullOrEmpty(paymentId));
        return await GetAsync(gateway, paymentId!, key);
    }

    /// <summary>The payment as the gateway has it now, over plain gRPC (the Grpc endpoint, HTTP/2), with <paramref name="key"/> if given.</summary>
    private static async Task<Payment> GetAsync(GatewayProcess gateway, string paymentId, string? key = null)
    {
        using var channel = GrpcChannel.ForAddress(gateway.GrpcUrl);
        var client = new PaymentService.PaymentServiceClient(channel);
        var headers = key is null ? null : new global::Grpc.Core.Metadata { { "authorization", "Bearer " + key } };
        return (await client.GetPaymentAsync(new GetPaymentRequest { PaymentId = paymentId }, headers, cancellationToken: Ct)).Payment;
    }

    internal static async Task ShowsResultAsync(IPage page, string state, string title)
    {
        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-state", state, new() { Timeout = ScreenTimeoutMs });
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "result");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = title })).ToBeVisibleAsync();
    }

    /// <summary>The customer pays the QR: the sandbox's control API on the gateway's web endpoint.</summary>
    internal static Task PayAsync(GatewayProcess gateway, string khqr) => ControlAsync(gateway, "pay", khqr);

    /// <summary>The customer's bank acts on the QR (<c>pay</c> or <c>fail</c>) through the sandbox's control API.</summary>
    private static async Task ControlAsync(GatewayProcess gateway, string action, string khqr)
    {
        using var http = new HttpClient { BaseAddress = gateway.WebUrl };
        using var response = await http.PostAsJsonAsync("sandbox/control/" + action, new { qr = khqr }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }
}
