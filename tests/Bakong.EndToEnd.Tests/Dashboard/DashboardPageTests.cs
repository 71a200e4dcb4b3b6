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
/// paired by the URL <c>bakong clients add --role operator</c> prints, refusing a kiosk's key, payments of every
/// terminal arriving on the one stream of all terminals (<c>WatchPayments</c>) and turning PAID live, today's totals, renewing the token, the exception queue's actions and
/// the displays' test beep (the display is the <c>bakong display emulate</c> process on a pseudo-terminal).
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
    public async Task A_payment_another_client_creates_arrives_on_the_payments_stream_and_turns_paid_without_the_list_being_read_again()
    {
        var (_, pairingUrl) = await AddClientAsync("--role", "operator");
        var (till, _) = await AddClientAsync("--role", "terminal", "--terminal", "POS-1", "--terminal", "POS-2");
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var page = await browser.NewPageAsync(1280, 900);

        // The list is read once, at open: any later read fails, so whatever appears after it came on a stream.
        var listReads = await ListReads.OnlyTheFirstAsync(page);
        await page.GotoAsync(OnGateway(pairingUrl, gateway));
        await Expect(page.Locator("#payments-empty")).ToBeVisibleAsync(new() { Timeout = Timeout });

        var first = await CreateAsync(gateway, till, "POS-1", 12, 500_000_000);
        var second = await CreateAsync(gateway, till, "POS-2", 3, 0);

        var row = page.Locator($"#payments li[data-payment-id='{first.PaymentId}']");
        await Expect(row).ToHaveAttributeAsync("data-state", "PENDING", new() { Timeout = Timeout });
        await Expect(row).ToContainTextAsync("12.50 USD");
        await Expect(page.Locator($"#payments li[data-payment-id='{second.PaymentId}']")).ToHaveAttributeAsync("data-state", "PENDING", new() { Timeout = Timeout });

        await PayAsync(gateway, new { qr = first.Khqr });

        await Expect(row).ToHaveAttributeAsync("data-state", "PAID", new() { Timeout = Timeout });
        var totals = page.Locator("#totals tbody tr");
        await Expect(totals.Filter(new() { HasText = "POS-1" }).Filter(new() { HasText = "PAID" }))
            .ToContainTextAsync("12.50 USD", new() { Timeout = Timeout });
        await Expect(totals.Filter(new() { HasText = "POS-1" }).Filter(new() { HasText = "PAID" }).Locator("td").Nth(2)).ToHaveTextAsync("1");
        await Expect(totals.Filter(new() { HasText = "POS-2" }).Filter(new() { HasText = "PENDING" })).ToContainTextAsync("3.00 USD");
        Assert.Equal(1, listReads.Count);
    }

    [Fact]
    public async Task Payments_of_six_terminals_and_of_one_nothing_named_before_all_arrive_live_on_one_stream_and_one_turns_paid()
    {
        var (operatorKey, pairingUrl) = await AddClientAsync("--role", "operator");
        string[] tills = ["POS-1", "POS-2", "POS-3", "POS-4", "POS-5", "POS-6"];
        var (till, _) = await AddClientAsync(["--role", "terminal", .. tills.SelectMany(t => new[] { "--terminal", t })]);
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var page = await browser.NewPageAsync(1280, 900);

        // The list is read once, at open: any later read fails, so whatever appears after it came on the stream.
        var listReads = await ListReads.OnlyTheFirstAsync(page);
        await page.GotoAsync(OnGateway(pairingUrl, gateway));
        await Expect(page.Locator("#payments-empty")).ToBeVisibleAsync(new() { Timeout = Timeout });

        // Each till sells while the page is open, then the operator's key sells for a terminal no client names.
        var created = new List<Payment>();
        for (var i = 0; i < tills.Length; i++)
        {
            created.Add(await CreateAsync(gateway, till, tills[i], i + 1, 0));
        }

        created.Add(await CreateAsync(gateway, operatorKey, "POS-NEW", 9, 0));
        foreach (var payment in created)
        {
            var row = page.Locator($"#payments li[data-payment-id='{payment.PaymentId}']");
            await Expect(row).ToHaveAttributeAsync("data-state", "PENDING", new() { Timeout = Timeout });
            await Expect(row).ToContainTextAsync(payment.TerminalId);
        }

        await PayAsync(gateway, new { qr = created[5].Khqr });

        await Expect(page.Locator($"#payments li[data-payment-id='{created[5].PaymentId}']")).ToHaveAttributeAsync("data-state", "PAID", new() { Timeout = Timeout });
        await Expect(page.Locator("#payments li")).ToHaveCountAsync(created.Count);
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-streams-opened", "1");
        Assert.Equal(1, listReads.Count);
    }

    [Fact]
    public async Task After_a_gateway_restart_the_payments_stream_reconnects_by_itself_and_a_payment_still_turns_paid_on_it()
    {
        var (_, pairingUrl) = await AddClientAsync("--role", "operator");
        var (till, _) = await AddClientAsync("--role", "terminal", "--terminal", "POS-1");
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var page = await browser.NewPageAsync(1280, 900);
        var listReads = await ListReads.OnlyTheFirstAsync(page);
        await page.GotoAsync(OnGateway(pairingUrl, gateway));
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-streams-opened", "1", new() { Timeout = Timeout });
        var payment = await CreateAsync(gateway, till, "POS-1", 7, 250_000_000);
        var row = page.Locator($"#payments li[data-payment-id='{payment.PaymentId}']");
        await Expect(row).ToHaveAttributeAsync("data-state", "PENDING", new() { Timeout = Timeout });

        await gateway.StopAsync(Ct);
        await gateway.StartAgainAsync(Ct);

        // The stream ended with the old run; the page calls again (backing off) until the new run answers.
        await Expect(page.Locator("#app")).ToHaveAttributeAsync("data-streams-opened", new System.Text.RegularExpressions.Regex("^([2-9]|[1-9][0-9]+)$"), new() { Timeout = Timeout });
        await PayAsync(gateway, new { qr = payment.Khqr });
        await Expect(row).ToHaveAttributeAsync("data-state", "PAID", new() { Timeout = Timeout });
        Assert.Equal(1, listReads.Count);
    }

    [Fact]
    public async Task Accept_takes_a_payment_paid_with_the_wrong_amount_out_of_the_queue_and_one_resolved_elsewhere_leaves_it_live()
    {
        var (key, pairingUrl) = await AddClientAsync("--role", "operator");
        var (till, _) = await AddClientAsync("--role", "terminal", "--terminal", "POS-1");
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var page = await browser.NewPageAsync(1280, 900);
        await page.GotoAsync(OnGateway(pairingUrl, gateway));
        await Expect(page.Locator("#exceptions-empty")).ToBeVisibleAsync(new() { Timeout = Timeout });

        // Both arrive while the page is open: the queue is read again when a followed payment is flagged.
        var accepted = await ReviewedAsync(gateway, till, key);
        var elsewhere = await ReviewedAsync(gateway, till, key);
        var acceptedRow = ExceptionRow(page, accepted);
        await Expect(acceptedRow).ToContainTextAsync("Needs review", new() { Timeout = Timeout });
        await Expect(acceptedRow).ToContainTextAsync("amount 4000 KHR, expected 5000 KHR");
        await Expect(acceptedRow).ToContainTextAsync("5,000 KHR");
        await Expect(acceptedRow).ToContainTextAsync("POS-1");
        await Expect(ExceptionRow(page, elsewhere)).ToBeVisibleAsync(new() { Timeout = Timeout });

        // Accept asks once more; Back leaves the payment as it was.
        await acceptedRow.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await Expect(acceptedRow.Locator(".confirm")).ToContainTextAsync("Keep the money received as the sale? A resolution cannot be undone.");
        await acceptedRow.GetByRole(AriaRole.Button, new() { Name = "Back" }).ClickAsync();
        await Expect(acceptedRow.Locator(".confirm")).ToBeHiddenAsync();
        Assert.Null((await GetAsync(gateway, key, accepted.PaymentId)).Resolution);
        await acceptedRow.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await acceptedRow.GetByRole(AriaRole.Button, new() { Name = "Yes, keep it" }).ClickAsync();

        await Expect(acceptedRow).ToHaveCountAsync(0, new() { Timeout = Timeout });
        await Expect(page.Locator("#exceptions-message")).ToHaveTextAsync($"{accepted.PaymentId}: accepted as the sale.");
        Assert.Equal(PaymentResolution.Types.Kind.Accepted, (await GetAsync(gateway, key, accepted.PaymentId)).Resolution.Kind);

        // Another operator accepts the second one (the CLI, say): its resolution arrives on the payments stream.
        await AcceptElsewhereAsync(gateway, key, elsewhere);
        await Expect(ExceptionRow(page, elsewhere)).ToHaveCountAsync(0, new() { Timeout = Timeout });
        await Expect(page.Locator("#exceptions-empty")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Accept_on_a_payment_another_operator_resolved_meanwhile_says_so_in_the_page_s_words_and_drops_it()
    {
        var (key, pairingUrl) = await AddClientAsync("--role", "operator");
        var (till, _) = await AddClientAsync("--role", "terminal", "--terminal", "POS-1");
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var reviewed = await ReviewedAsync(gateway, till, key);
        var page = await browser.NewPageAsync(1280, 900);

        // Its streams down, the page cannot hear of the other operator's resolution before the click.
        await page.RouteAsync("**/bakong.admin.v1.AdminService/WatchPayments", route => route.AbortAsync());
        await page.GotoAsync(OnGateway(pairingUrl, gateway));
        var row = ExceptionRow(page, reviewed);
        await Expect(row).ToBeVisibleAsync(new() { Timeout = Timeout });
        await AcceptElsewhereAsync(gateway, key, reviewed);

        // The page reads the queue again right after showing the refusal, which drops the row and its message: held
        // until the message was seen, so a slow machine cannot make the message vanish between two looks.
        var reread = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/bakong.admin.v1.AdminService/ListExceptions", async route =>
        {
            await reread.Task;
            await route.ContinueAsync();
        });
        await row.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Yes, keep it" }).ClickAsync();

        await Expect(row.Locator(".outcome")).ToHaveTextAsync(
            "Already resolved (accepted), by another operator or an earlier try.", new() { Timeout = Timeout });
        reread.SetResult();
        await Expect(row).ToHaveCountAsync(0, new() { Timeout = Timeout }); // the queue read again drops it
        await Expect(page.Locator("#exceptions-empty")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Refunded_with_the_hash_of_a_refund_the_sandbox_confirms_takes_the_payment_out_of_the_queue()
    {
        var (key, pairingUrl) = await AddClientAsync("--role", "operator");
        var (till, _) = await AddClientAsync("--role", "terminal", "--terminal", "POS-1");
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var reviewed = await ReviewedAsync(gateway, till, key);
        var received = reviewed.BakongTransaction;
        Assert.NotNull(received);
        var hash = await TransferAsync(gateway, received.ToAccountId, received.FromAccountId, 4000m, "KHR");
        var page = await browser.NewPageAsync(360, 740);
        await page.GotoAsync(OnGateway(pairingUrl, gateway));
        var row = ExceptionRow(page, reviewed);
        await Expect(row).ToBeVisibleAsync(new() { Timeout = Timeout });

        await row.GetByRole(AriaRole.Button, new() { Name = "Refunded…" }).ClickAsync();
        await row.GetByLabel("Refund transaction hash").FillAsync(hash);
        await row.GetByRole(AriaRole.Button, new() { Name = "Record refund" }).ClickAsync();

        await Expect(row).ToHaveCountAsync(0, new() { Timeout = Timeout });
        await Expect(page.Locator("#exceptions-message")).ToHaveTextAsync($"{reviewed.PaymentId}: refund recorded (Bakong confirmed it).");
        var resolution = (await GetAsync(gateway, key, reviewed.PaymentId)).Resolution;
        Assert.Equal((PaymentResolution.Types.Kind.Refunded, hash), (resolution.Kind, resolution.Refund.Hash));
    }

    [Fact]
    public async Task A_refund_hash_bakong_does_not_confirm_shows_why_in_the_page_s_words_and_keeps_the_payment_in_the_queue()
    {
        var (key, pairingUrl) = await AddClientAsync("--role", "operator");
        var (till, _) = await AddClientAsync("--role", "terminal", "--terminal", "POS-1");
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(Settings, Ct);
        var reviewed = await ReviewedAsync(gateway, till, key);
        var received = reviewed.BakongTransaction;
        var backwards = await TransferAsync(gateway, received.FromAccountId, received.ToAccountId, 4000m, "KHR");
        var page = await browser.NewPageAsync(360, 740);
        await page.GotoAsync(OnGateway(pairingUrl, gateway));
        var row = ExceptionRow(page, reviewed);
        await Expect(row).ToBeVisibleAsync(new() { Timeout = Timeout });
        await row.GetByRole(AriaRole.Button, new() { Name = "Refunded…" }).ClickAsync();
        var hashInput = row.GetByLabel("Refund transaction hash");
        var record = row.GetByRole(AriaRole.Button, new() { Name = "Record refund" });

        await hashInput.FillAsync(backwards);
        await record.ClickAsync();
        await Expect(row.Locator(".outcome")).ToHaveTextAsync(
            "Not recorded: this transfer is not a refund of this payment: it was not sent from the shop's account; it was not sent to the payer's account.",
            new() { Timeout = Timeout });
        await KioskBrowser.ScreenshotAsync(page, "dashboard-refund-refused-phone");

        await hashInput.FillAsync(new string('a', 64));
        await record.ClickAsync();
        await Expect(row.Locator(".outcome")).ToHaveTextAsync(
            "Not recorded: Bakong has no successful transfer with this hash. Check the hash on the refund's receipt.", new() { Timeout = Timeout });

        await hashInput.FillAsync("<b>not-a-hash</b>");
        await record.ClickAsync();
        await Expect(row.Locator(".outcome")).ToHaveTextAsync("A refund's hash is 64 hex digits (0-9, a-f): copy it from the banking app's receipt.");

        await Expect(row).ToBeVisibleAsync();
        Assert.Null((await GetAsync(gateway, key, reviewed.PaymentId)).Resolution);
        Assert.Equal(0, await page.Locator("#exceptions b").CountAsync());
    }

    [Fact]
    public async Task The_displays_section_shows_the_emulated_display_online_with_its_firmware_and_its_test_beep_is_answered()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("the display emulator's pseudo-terminals need Linux");
        }

        var (key, pairingUrl) = await AddClientAsync("--role", "operator");
        var (till, _) = await AddClientAsync("--role", "terminal", "--terminal", "POS-1");
        await using var emulator = ChildProcess.Start(Built.Cli, ["display", "emulate"]);
        var port = (await emulator.WaitForLineAsync(l => l.StartsWith("Display emulator on ", StringComparison.Ordinal), GatewayProcess.Timeout, Ct))
            ["Display emulator on ".Length..].Split(' ')[0];
        await using var browser = await KioskBrowser.LaunchAsync();
        await using var gateway = await GatewayProcess.StartAsync(
            new Dictionary<string, string>(Settings) { ["Displays__0__TerminalId"] = "POS-1", ["Displays__0__PortName"] = port }, Ct);
        var page = await browser.NewPageAsync(1280, 900);
        await page.GotoAsync(OnGateway(pairingUrl, gateway));

        var display = page.Locator("#displays li[data-terminal-id='POS-1']");
        await Expect(display).ToHaveAttributeAsync("data-link-state", "ONLINE", new() { Timeout = Timeout });
        await Expect(display).ToContainTextAsync("firmware emu-1.0.0");
        await Expect(display).ToContainTextAsync("No fault");

        await display.GetByRole(AriaRole.Button, new() { Name = "Test beep" }).ClickAsync();
        await Expect(display.Locator(".answer")).ToHaveTextAsync("The display beeped (ACK OK).", new() { Timeout = Timeout });

        // Every section filled for the screenshots: a paid payment, a pending one, one that needs a person.
        var paid = await CreateAsync(gateway, till, "POS-1", 12, 500_000_000);
        await PayAsync(gateway, new { qr = paid.Khqr });
        await Expect(page.Locator($"#payments li[data-payment-id='{paid.PaymentId}']")).ToHaveAttributeAsync("data-state", "PAID", new() { Timeout = Timeout });
        var reviewed = await ReviewedAsync(gateway, till, key);
        var pending = await CreateAsync(gateway, till, "POS-1", 3, 0);
        await Expect(ExceptionRow(page, reviewed)).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(page.Locator($"#payments li[data-payment-id='{pending.PaymentId}']")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(page.Locator("#totals tbody tr").Filter(new() { HasText = "CANCELLED" })).ToBeVisibleAsync(new() { Timeout = Timeout });
        await KioskBrowser.ScreenshotAsync(page, "dashboard-desktop");
        await page.SetViewportSizeAsync(360, 740);
        await KioskBrowser.ScreenshotAsync(page, "dashboard-phone");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 360"), "the page scrolls sideways at 360 px");
        await page.Locator("#displays").ScrollIntoViewIfNeededAsync();
        await KioskBrowser.ScreenshotAsync(page, "dashboard-displays-phone");
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

    private static Metadata Bearer(string key) => new() { { "authorization", "Bearer " + key } };

    private static ILocator ExceptionRow(IPage page, Payment payment) => page.Locator($"#exceptions li[data-payment-id='{payment.PaymentId}']");

    private static async Task<Payment> CreateAsync(GatewayProcess gateway, string key, string terminal, long units, int nanos, string currency = "USD")
    {
        var response = await gateway.Payments.CreatePaymentAsync(
            new CreatePaymentRequest
            {
                RequestId = Guid.NewGuid().ToString("N"),
                TerminalId = terminal,
                Amount = new Money { CurrencyCode = currency, Units = units, Nanos = nanos },
            },
            Bearer(key),
            cancellationToken: Ct);
        return response.Payment;
    }

    private static async Task<Payment> GetAsync(GatewayProcess gateway, string key, string paymentId) =>
        (await gateway.Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = paymentId }, Bearer(key), cancellationToken: Ct)).Payment;

    /// <summary>The customer pays in the sandbox (its control API, as <c>bakong sandbox pay</c> calls it).</summary>
    private static async Task PayAsync(GatewayProcess gateway, object request)
    {
        using var http = new HttpClient { BaseAddress = gateway.WebUrl };
        using var paid = await http.PostAsJsonAsync("sandbox/control/pay", request, Ct);
        Assert.True(paid.IsSuccessStatusCode, await paid.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>
    /// A payment that needs a person: 4000 riel paid for a 5000 riel QR, flagged for review by the gateway's check
    /// (followed with WatchPayment until it is), then cancelled by the POS, as the exception queue's tests make one.
    /// </summary>
    private static async Task<Payment> ReviewedAsync(GatewayProcess gateway, string tillKey, string operatorKey)
    {
        var created = await CreateAsync(gateway, tillKey, "POS-1", 5000, 0, "KHR");
        await PayAsync(gateway, new { qr = created.Khqr, amount = 4000 });
        using (var watch = gateway.Payments.WatchPayment(new WatchPaymentRequest { PaymentId = created.PaymentId }, Bearer(operatorKey), cancellationToken: Ct))
        {
            while (await watch.ResponseStream.MoveNext(Ct) && !watch.ResponseStream.Current.Payment.NeedsReview)
            {
            }
        }

        return (await gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, Bearer(tillKey), cancellationToken: Ct)).Payment;
    }

    /// <summary>Another operator accepts the payment through the REST twin of <c>ResolvePayment</c>.</summary>
    private static async Task AcceptElsewhereAsync(GatewayProcess gateway, string key, Payment payment)
    {
        using var http = new HttpClient { BaseAddress = gateway.WebUrl };
        using var resolve = new HttpRequestMessage(HttpMethod.Post, $"v1/payments/{payment.PaymentId}:resolve") { Content = JsonContent.Create(new { accept = new { } }) };
        resolve.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var resolved = await http.SendAsync(resolve, Ct);
        Assert.True(resolved.IsSuccessStatusCode, await resolved.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Money sent without a QR (a refund from a banking app) in the sandbox, as <c>bakong sandbox transfer</c> sends it; its hash.</summary>
    private static async Task<string> TransferAsync(GatewayProcess gateway, string from, string to, decimal amount, string currency)
    {
        using var http = new HttpClient { BaseAddress = gateway.WebUrl };
        using var response = await http.PostAsJsonAsync(
            "sandbox/control/transfers", new { fromAccountId = from, toAccountId = to, amount, currency }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("transaction").GetProperty("hash").GetString()!;
    }

    /// <summary>A client made offline with the real <c>bakong clients add</c>: its key and pairing URL (empty for a terminal).</summary>
    private async Task<(string Key, string PairingUrl)> AddClientAsync(params string[] arguments)
    {
        await using var cli = ChildProcess.Start(Built.Cli, ["clients", "add", .. arguments, "--json", "--data", _data]);
        Assert.True(await cli.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct) == 0, cli.Output);
        var json = JsonDocument.Parse(cli.Output.Split('\n').Single(l => l.StartsWith('{'))).RootElement;
        return (json.GetProperty("key").GetString()!, json.TryGetProperty("pairingUrl", out var url) ? url.GetString()! : ""); // a terminal's has none
    }

    /// <summary>The pairing URL (made for the default Web endpoint) on this gateway's own port.</summary>
    private static string OnGateway(string pairingUrl, GatewayProcess gateway)
    {
        var printed = new Uri(pairingUrl);
        Assert.Equal("http://127.0.0.1:5081/admin", printed.GetLeftPart(UriPartial.Path));
        return new Uri(gateway.WebUrl, printed.PathAndQuery).AbsoluteUri + printed.Fragment;
    }

    /// <summary>
    /// Counts the page's ListPayments calls and lets only the first through: whatever appears after it came on a stream.
    /// </summary>
    private sealed class ListReads
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public static async Task<ListReads> OnlyTheFirstAsync(IPage page)
        {
            var reads = new ListReads();
            await page.RouteAsync("**/bakong.payments.v1.PaymentService/ListPayments", async route =>
            {
                if (Interlocked.Increment(ref reads._count) == 1)
                {
                    await route.ContinueAsync();
                }
                else
                {
                    await route.AbortAsync();
                }
            });
            return reads;
        }
    }
}
