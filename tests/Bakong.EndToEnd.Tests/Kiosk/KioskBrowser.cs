using Microsoft.Playwright;

namespace Bakong.EndToEnd.Tests.Kiosk;

/// <summary>
/// Headless Debian Chromium (<c>/usr/bin/chromium</c>) driven by Playwright; never a downloaded browser. Without
/// Chromium the test is skipped with the reason (CI installs it: <c>apt-get install -y chromium</c>).
/// </summary>
internal sealed class KioskBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private KioskBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>Where screenshots go: <c>$BAKONG_SCREENSHOTS</c> (e.g. docs/screenshots to refresh docs/kiosk.md's), else the test output.</summary>
    public static string ScreenshotDirectory { get; } =
        Environment.GetEnvironmentVariable("BAKONG_SCREENSHOTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static async Task<KioskBrowser> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Skip(ChromiumPath + " is missing: install Debian's Chromium (apt-get install -y chromium); .ci/run does.");
        }

        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu"],
            });
            return new KioskBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh page (own context) with the kiosk's screen size.</summary>
    public async Task<IPage> NewPageAsync(int width, int height)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        return await context.NewPageAsync();
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png") });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
