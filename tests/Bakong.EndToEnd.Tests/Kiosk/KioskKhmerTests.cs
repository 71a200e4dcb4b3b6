using System.Text.Json;
using Bakong.EndToEnd.Tests.Processes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bakong.EndToEnd.Tests.Kiosk;

/// <summary>
/// The kiosk page in Khmer: a merchant profile whose <c>Language</c> is <c>km</c> starts the page in Khmer with the
/// shop's Khmer name, the customer may switch to English for their payment, the next customer starts in Khmer again;
/// and the Khmer text is drawn with the Noto Sans Khmer the page ships (this machine has no Khmer font of its own).
/// </summary>
public sealed class KioskKhmerTests
{
    private const float ScreenTimeoutMs = 30_000;
    private const string ShopName = "Sokha Shop";
    private const string ShopNameKhmer = "ហាងសុខា";

    /// <summary>One profile serving every terminal, in Khmer, with a Khmer name (tag 64).</summary>
    private static readonly Dictionary<string, string> s_khmerShop = new()
    {
        ["Merchants__0__Id"] = "sokha",
        ["Merchants__0__BakongAccountId"] = "demo_shop@devb",
        ["Merchants__0__Name"] = ShopName,
        ["Merchants__0__NameKhmer"] = ShopNameKhmer,
        ["Merchants__0__Language"] = "km",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_Khmer_profile_starts_the_page_in_Khmer_the_customer_may_switch_to_English_and_the_next_customer_starts_in_Khmer()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(s_khmerShop, Ct);
        var page = await browser.NewPageAsync(1080, 1920);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=KIOSK-E2E&result=3");
        await ShowsKhmerStartAsync(page);
        await Expect(page.Locator("#app")).Not.ToContainTextAsync("KIOSK-E2E", new() { UseInnerText = true }); // no technical id on screen
        await Expect(page.Locator("#app")).Not.ToContainTextAsync("Terminal", new() { UseInnerText = true });
        await KioskBrowser.ScreenshotAsync(page, "kiosk-km-start");

        // A customer paying in Khmer.
        await page.GetByLabel("ចំនួនទឹកប្រាក់").FillAsync("12.50");
        await page.GetByRole(AriaRole.Radio, new() { Name = "USD ដុល្លារ" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "បង្ហាញ QR" }).ClickAsync();
        var payment = await KioskPageTests.ShowsQrAsync(page, gateway, cardAlt: "^កូដ KHQR៖ ស្កេនដោយកម្មវិធីធនាគាររបស់អ្នក ដើម្បីបង់ 12.50 USD$");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "ស្កេនដើម្បីបង់ប្រាក់" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "បោះបង់" })).ToBeVisibleAsync();
        await Expect(page.Locator("#app")).Not.ToContainTextAsync(payment.PaymentId, new() { UseInnerText = true });

        // The card's Khmer name (tag 64) is drawn with the page's font too: the card is inline SVG, not an image,
        // which could use system fonts only (none for Khmer here: boxes).
        await page.EvaluateAsync("name => [...document.querySelectorAll('#qr-card text')].find(t => t.textContent === name).id = 'card-khmer-name'", ShopNameKhmer);
        Assert.Equal(["Noto Sans Khmer"], await FontsDrawingAsync(page, "#card-khmer-name"));
        await KioskBrowser.ScreenshotAsync(page, "kiosk-km-qr");
        await KioskPageTests.PayAsync(gateway, payment.Khqr);
        await KioskPageTests.ShowsResultAsync(page, "PAID", "បានទូទាត់");
        await Expect(page.Locator("#result-detail")).ToHaveTextAsync("បានទទួល 12.50 USD។ សូមអរគុណ!");
        await KioskBrowser.ScreenshotAsync(page, "kiosk-km-paid");

        // The next customer switches to English: their whole payment stays in English, the shop's name too.
        await ShowsKhmerStartAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "English" }).ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Pay with any bank app" })).ToBeVisibleAsync();
        await Expect(page.Locator(".merchant-name")).ToHaveTextAsync(ShopName);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "English" })).ToHaveAttributeAsync("aria-pressed", "true");
        await page.GetByLabel("Amount").FillAsync("5000");
        await page.GetByRole(AriaRole.Radio, new() { Name = "KHR riel" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Show QR" }).ClickAsync();
        var second = await KioskPageTests.ShowsQrAsync(page, gateway);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Scan to pay" })).ToBeVisibleAsync();
        await KioskPageTests.PayAsync(gateway, second.Khqr);
        await KioskPageTests.ShowsResultAsync(page, "PAID", "Paid");
        await Expect(page.Locator("#result-detail")).ToHaveTextAsync("5,000 KHR received. Thank you!");

        // ?result=3: back to the start for a new customer, in the shop's language again.
        await ShowsKhmerStartAsync(page);
    }

    [Fact]
    public async Task A_result_already_on_screen_changes_language_when_the_customer_presses_the_switch()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(
            new Dictionary<string, string>(s_khmerShop) { ["Polling__ExpiryGrace"] = "00:00:01" }, Ct);
        var page = await browser.NewPageAsync(1280, 800);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=KIOSK-E2E&expires=10&result=600");
        await ShowsKhmerStartAsync(page);
        await page.GetByLabel("ចំនួនទឹកប្រាក់").FillAsync("4000");
        await page.GetByRole(AriaRole.Button, new() { Name = "បង្ហាញ QR" }).ClickAsync();
        await KioskPageTests.ShowsQrAsync(page, gateway, cardAlt: "^កូដ KHQR៖");
        await KioskBrowser.ScreenshotAsync(page, "kiosk-km-qr-1280x800");

        await KioskPageTests.ShowsResultAsync(page, "EXPIRED", "ផុតកំណត់");
        await Expect(page.Locator("#result-detail")).ToHaveTextAsync("កូដ QR បានផុតកំណត់។ សូមចាប់ផ្ដើមម្ដងទៀត។");
        await KioskBrowser.ScreenshotAsync(page, "kiosk-km-expired");

        await page.GetByRole(AriaRole.Button, new() { Name = "English" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Expired" })).ToBeVisibleAsync();
        await Expect(page.Locator("#result-detail")).ToHaveTextAsync("The QR code has expired. Please start again.");
        await page.GetByRole(AriaRole.Button, new() { Name = "ខ្មែរ" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "ផុតកំណត់" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_display_mode_of_a_Khmer_profile_shows_the_Khmer_shop_name_the_QR_and_paid_in_Khmer()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(s_khmerShop, Ct);
        var page = await browser.NewPageAsync(1280, 800);

        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=POS-E2E&mode=display&result=3");
        await KioskDisplayTests.ShowsIdleAsync(page);
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "km", new() { Timeout = ScreenTimeoutMs });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "សូមស្វាគមន៍" })).ToBeVisibleAsync();
        await Expect(page.Locator("#shop-name")).ToHaveTextAsync(ShopNameKhmer);
        await Expect(page.Locator("#app")).Not.ToContainTextAsync("POS-E2E", new() { UseInnerText = true });
        await WaitForFontsAsync(page);
        await KioskBrowser.ScreenshotAsync(page, "kiosk-display-km-idle");

        var payment = await KioskDisplayTests.CreateAsync(gateway, "display-km-1", 25000, 0, "KHR");
        await KioskDisplayTests.ShowsQrOfAsync(page, payment);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "ស្កេនដើម្បីបង់ប្រាក់" })).ToBeVisibleAsync();
        await Expect(page.Locator("#app")).Not.ToContainTextAsync(payment.PaymentId, new() { UseInnerText = true });
        await KioskBrowser.ScreenshotAsync(page, "kiosk-display-km-qr");

        await KioskPageTests.PayAsync(gateway, payment.Khqr);
        await KioskPageTests.ShowsResultAsync(page, "PAID", "បានទូទាត់");
        await Expect(page.Locator("#result-detail")).ToHaveTextAsync("បានទទួល 25,000 KHR។ សូមអរគុណ!");
        await KioskBrowser.ScreenshotAsync(page, "kiosk-display-km-paid");
    }

    /// <summary>
    /// Why this proves the Khmer is drawn, not tofu: this machine has no Khmer font (<c>fc-list :lang=km</c> is empty),
    /// so a Khmer letter can only be drawn with the font the page ships. Chromium itself reports which font drew the
    /// heading's glyphs (DevTools' <c>CSS.getPlatformFontsForNode</c>, the fonts the layout used, with glyph counts);
    /// the page's FontFace is loaded (not just "no face to wait for", which <c>document.fonts.check</c> also answers
    /// true); and on a canvas in the page's font stack, "ក" (ka) and "ញ" (nha) have different advance widths, as real
    /// glyphs do, where missing-glyph boxes are all one width, and "ក" is drawn with other pixels than the box a code
    /// point the Khmer block leaves unassigned (U+17DE) gets. The same page with the font requests blocked is the
    /// control: there ka, nha and the box measure the same and draw the same pixels, so the checks tell the two apart.
    /// </summary>
    [Fact]
    public async Task Khmer_text_is_drawn_with_the_bundled_Noto_Sans_Khmer_not_as_missing_glyph_boxes()
    {
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(s_khmerShop, Ct);

        // Served from the gateway with its type, under the page's CSP, with its licence beside it.
        using (var http = new HttpClient { BaseAddress = gateway.WebUrl })
        {
            using var font = await http.GetAsync("kiosk/noto-sans-khmer-400.woff2", Ct);
            Assert.Equal("font/woff2", font.Content.Headers.ContentType?.MediaType);
            Assert.Equal("wOF2"u8.ToArray(), (await font.Content.ReadAsByteArrayAsync(Ct))[..4]);
            using var licence = await http.GetAsync("kiosk/noto-sans-khmer-OFL.txt", Ct);
            Assert.Contains("SIL Open Font License", await licence.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            using var kioskPage = await http.GetAsync("kiosk", Ct);
            Assert.Contains("font-src 'self'", kioskPage.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }

        var page = await browser.NewPageAsync(1280, 800);
        await page.GotoAsync(gateway.WebUrl + "kiosk?terminal=KIOSK-E2E");
        await ShowsKhmerStartAsync(page);
        var drawn = await MeasureKhmerAsync(page);
        Assert.True(drawn.Check, "document.fonts.check('16px \"Noto Sans Khmer\"', 'ក') is false");
        Assert.True(drawn.LoadedFaces >= 1, "no Noto Sans Khmer FontFace loaded: " + drawn.Faces);
        Assert.True(Math.Abs(drawn.Ka - drawn.Nya) > 1, $"ក and ញ are one width ({drawn.Ka}px, {drawn.Nya}px): boxes");
        Assert.False(drawn.KaDrawnAsBox, "ក is drawn with the same pixels as a missing glyph's box");
        Assert.Equal(["Noto Sans Khmer"], await FontsDrawingAsync(page, "#start-title"));

        // The control: the same page without its font draws boxes, and the checks above see it.
        var blocked = await browser.NewPageAsync(1280, 800);
        await blocked.RouteAsync("**/*.woff2", route => route.AbortAsync());
        await blocked.GotoAsync(gateway.WebUrl + "kiosk?terminal=KIOSK-E2E");
        await ShowsKhmerStartAsync(blocked);
        var boxes = await MeasureKhmerAsync(blocked);
        Assert.Equal(0, boxes.LoadedFaces);
        Assert.Equal((boxes.Box, boxes.Box), (boxes.Ka, boxes.Nya));
        Assert.True(boxes.KaDrawnAsBox, "without the font, ក is not drawn as the box");
        Assert.DoesNotContain("Noto Sans Khmer", await FontsDrawingAsync(blocked, "#start-title"));
    }

    private static async Task ShowsKhmerStartAsync(IPage page)
    {
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-screen", "start", new() { Timeout = ScreenTimeoutMs });
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "km", new() { Timeout = ScreenTimeoutMs });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "បង់ប្រាក់ដោយកម្មវិធីធនាគារណាមួយ" })).ToBeVisibleAsync();
        await Expect(page.Locator(".merchant-name")).ToHaveTextAsync(ShopNameKhmer);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "ខ្មែរ" })).ToHaveAttributeAsync("aria-pressed", "true");
        await WaitForFontsAsync(page);
    }

    /// <summary>Until the fonts the page uses now have loaded (or failed), so a screenshot or a measure is of the final text.</summary>
    private static async Task WaitForFontsAsync(IPage page) => await page.EvaluateAsync("async () => { await document.fonts.ready; }");

    /// <summary>The page's font state; the canvas widths of ក, ញ and an unassigned Khmer code point (a missing glyph's box) at 48px in the page's font stack, and whether ក draws the box's pixels.</summary>
    private static async Task<KhmerMeasure> MeasureKhmerAsync(IPage page)
    {
        var json = await page.EvaluateAsync<JsonElement>("""
            async () => {
              await document.fonts.ready;
              const faces = [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'Noto Sans Khmer');
              const stack = getComputedStyle(document.documentElement).fontFamily;
              const draw = (text) => {
                const canvas = document.createElement('canvas');
                canvas.width = 120;
                canvas.height = 120;
                const ctx = canvas.getContext('2d');
                ctx.font = '48px ' + stack;
                ctx.fillText(text, 20, 80);
                return { width: ctx.measureText(text).width, pixels: ctx.getImageData(0, 0, 120, 120).data.join() };
              };
              const ka = draw('ក'), nya = draw('ញ'), box = draw('\u17DE');
              return {
                check: document.fonts.check('16px "Noto Sans Khmer"', 'ក'),
                loadedFaces: faces.filter(f => f.status === 'loaded').length,
                faces: faces.map(f => f.weight + ':' + f.status).join(','),
                ka: ka.width,
                nya: nya.width,
                box: box.width,
                kaDrawnAsBox: ka.pixels === box.pixels,
              };
            }
            """);
        return new KhmerMeasure(
            json.GetProperty("check").GetBoolean(),
            json.GetProperty("loadedFaces").GetInt32(),
            json.GetProperty("faces").GetString() ?? "",
            json.GetProperty("ka").GetDouble(),
            json.GetProperty("nya").GetDouble(),
            json.GetProperty("box").GetDouble(),
            json.GetProperty("kaDrawnAsBox").GetBoolean());
    }

    /// <summary>The font families Chromium's layout used to draw the element's text (DevTools protocol), those that drew at least one glyph.</summary>
    private static async Task<string[]> FontsDrawingAsync(IPage page, string selector)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        var document = await cdp.SendAsync("DOM.getDocument");
        var node = await cdp.SendAsync("DOM.querySelector", new() { ["nodeId"] = document!.Value.GetProperty("root").GetProperty("nodeId").GetInt32(), ["selector"] = selector });
        await cdp.SendAsync("CSS.enable");
        var fonts = await cdp.SendAsync("CSS.getPlatformFontsForNode", new() { ["nodeId"] = node!.Value.GetProperty("nodeId").GetInt32() });
        return [.. fonts!.Value.GetProperty("fonts").EnumerateArray()
            .Where(f => f.GetProperty("glyphCount").GetDouble() > 0)
            .Select(f => f.GetProperty("familyName").GetString() ?? "")];
    }

    private sealed record KhmerMeasure(bool Check, int LoadedFaces, string Faces, double Ka, double Nya, double Box, bool KaDrawnAsBox);
}
