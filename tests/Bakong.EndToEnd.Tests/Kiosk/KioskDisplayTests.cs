using Bakong.EndToEnd.Tests.Processes;
using Bakong.Grpc.Payments.V1;
using Grpc.Net.Client;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bakong.EndToEnd.Tests.Kiosk;

/// <summary>
/// The kiosk page's display mode (<c>?mode=display</c>) in headless Chromium against the real gateway process: it
/// follows the terminal with WatchTerminal over gRPC-Web while the POS (this test, over gRPC) creates the payments.
/// </summary>
public sealed class KioskDisplayTests
{
    private const float ScreenTimeoutMs = 30_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_payment_the_POS_creates_shows_its_QR_then_paid_then_idle_and_that_QR_never_comes_back()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(cancellationToken: Ct);
        var page = await browser.NewPageAsync(1280, 800);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=POS-E2E&mode=display&result=3");
        await ShowsIdleAsync(page);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome" })).ToBeVisibleAsync();
        await Expect(page.Locator("#app")).Not.ToContainTextAsync("POS-E2E", new() { UseInnerText = true }); // no technical id on screen
        await KioskBrowser.ScreenshotAsync(page, "kiosk-display-idle");

        var payment = await CreateAsync(gateway, "display-1", 12, 500_000_000, "USD");
        await ShowsQrOfAsync(page, payment);
        await Expect(page.Locator("#countdown")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[45]:[0-5][0-9]$"));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeHiddenAsync(); // the POS cancels
        await KioskBrowser.ScreenshotAsync(page, "kiosk-display-qr");

        await KioskPageTests.PayAsync(gateway, payment.Khqr);
        await KioskPageTests.ShowsResultAsync(page, "PAID", "Paid");
        await Expect(page.Locator("#result-detail")).ToHaveTextAsync("12.50 USD received. Thank you!");
        await KioskBrowser.ScreenshotAsync(page, "kiosk-display-paid");

        // ?result=3: back to idle by itself, and the paid payment's QR is not shown again.
        await ShowsIdleAsync(page);
        await Expect(page.Locator("#app")).Not.ToHaveAttributeAsync("data-payment-id", payment.PaymentId);

        var next = await CreateAsync(gateway, "display-2", 5000, 0, "KHR");
        await ShowsQrOfAsync(page, next);
    }

    [Fact]
    public async Task A_reload_mid_payment_resumes_on_its_QR_and_a_reload_after_it_is_paid_shows_idle_not_the_paid_QR()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(cancellationToken: Ct);
        var page = await browser.NewPageAsync(1080, 1920);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=POS-E2E&mode=display&result=600");
        await ShowsIdleAsync(page);
        var payment = await CreateAsync(gateway, "reload-1", 25000, 0, "KHR");
        await ShowsQrOfAsync(page, payment);

        await page.ReloadAsync();
        await ShowsQrOfAsync(page, payment);
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-caught-up", "current");

        await KioskPageTests.PayAsync(gateway, payment.Khqr);
        await KioskPageTests.ShowsResultAsync(page, "PAID", "Paid");

        await page.ReloadAsync();
        await ShowsIdleAsync(page);
        await Expect(page.Locator("#app")).Not.ToHaveAttributeAsync("data-payment-id", payment.PaymentId);
        await Expect(page.Locator("#qr")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task After_a_gateway_restart_the_page_reconnects_starts_over_from_the_current_state_and_still_shows_paid()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(cancellationToken: Ct);
        var page = await browser.NewPageAsync(1280, 800);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=POS-E2E&mode=display&result=600");
        await ShowsIdleAsync(page);
        var payment = await CreateAsync(gateway, "restart-1", 9900, 0, "KHR");
        await ShowsQrOfAsync(page, payment);

        await gateway.StopAsync(Ct);
        await gateway.StartAgainAsync(Ct);

        // The new run's feed cannot resume the old run's cursor: the page is sent the current state and keeps the QR.
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-watch-streams", new System.Text.RegularExpressions.Regex("^([2-9]|[1-9][0-9]+)$"), new() { Timeout = ScreenTimeoutMs });
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-caught-up", "current", new() { Timeout = ScreenTimeoutMs });
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-payment-id", payment.PaymentId);
        await KioskPageTests.PayAsync(gateway, payment.Khqr);
        await KioskPageTests.ShowsResultAsync(page, "PAID", "Paid");
    }

    internal static async Task ShowsIdleAsync(IPage page) =>
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "idle", new() { Timeout = ScreenTimeoutMs });

    internal static async Task ShowsQrOfAsync(IPage page, Payment payment)
    {
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-payment-id", payment.PaymentId, new() { Timeout = ScreenTimeoutMs });
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "qr");
        await Expect(page.Locator("#qr-card > svg")).ToBeVisibleAsync(); // the card, fetched with the key
    }

    /// <summary>The POS creates a payment for POS-E2E over plain gRPC.</summary>
    internal static async Task<Payment> CreateAsync(GatewayProcess gateway, string requestId, long units, int nanos, string currency)
    {
        using var channel = GrpcChannel.ForAddress(gateway.GrpcUrl);
        var client = new PaymentService.PaymentServiceClient(channel);
        var request = new CreatePaymentRequest
        {
            RequestId = requestId,
            TerminalId = "POS-E2E",
            Amount = new Money { CurrencyCode = currency, Units = units, Nanos = nanos },
        };
        return (await client.CreatePaymentAsync(request, cancellationToken: Ct)).Payment;
    }
}
