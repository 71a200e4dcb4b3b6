using System.Collections.Concurrent;
using System.Text;
using Bakong.Display.Emulation;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Display.Transport;
using Bakong.Khqr;
using Bakong.Payments;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Display.Payments.Tests;

public sealed class DisplayBridgeTests
{
    private static readonly TimeSpan s_deviceTimeout = TimeSpan.FromSeconds(60);
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(s_start);
    private readonly DisplayTerminal _terminal;
    private readonly DisplayBridge _bridge;

    public DisplayBridgeTests()
    {
        _terminal = Terminal(new DisplayPortOptions { TerminalId = "POS-01", PortName = "/dev/null", IdleText = "Welcome" }, "Sokha Coffee");
        _bridge = new DisplayBridge([_terminal]);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DesiredScreen? Desired => _terminal.Controller.Desired;

    [Fact]
    public void Before_any_payment_the_display_is_idle_with_the_merchant_name()
    {
        Assert.Equal(new IdleScreen("Sokha Coffee", "Welcome"), Desired);
    }

    [Fact]
    public void A_payment_created_on_the_terminal_shows_its_qr_amount_in_minor_units_and_absolute_expiry()
    {
        var payment = New(Money.Create(KhqrCurrency.Usd, 12.50m));

        _bridge.Saved(payment, payment.Events);

        var qr = Assert.IsType<QrScreen>(Desired);
        Assert.Equal(
            new DisplayPayment(payment.Id, 1250, 840, 2, (ulong)payment.ExpireTime.ToUnixTimeMilliseconds(), "Sokha Coffee", payment.Qr),
            qr.Payment);
    }

    [Fact]
    public void Another_terminals_payment_is_not_shown()
    {
        var payment = New(terminalId: "POS-02");

        _bridge.Saved(payment, payment.Events);

        Assert.IsType<IdleScreen>(Desired);
    }

    [Fact]
    public void A_result_is_shown_for_the_hold_then_the_idle_screen_returns_and_later_bookkeeping_does_not_bring_it_back()
    {
        var payment = New();
        _bridge.Saved(payment, payment.Events);
        payment.Cancel(s_start.AddSeconds(10));
        _bridge.Saved(payment, []);

        var result = Assert.IsType<ResultScreen>(Desired);
        Assert.Equal((DisplayStatus.Cancelled, payment.Id), (result.Status, result.PaymentId));
        _terminal.Controller.MarkShown(result); // the display acknowledged it at once
        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.IsType<ResultScreen>(Desired);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.IsType<IdleScreen>(Desired);

        payment.RecordReconciliationCheck(s_start.AddMinutes(1));
        _bridge.Saved(payment, []);
        Assert.IsType<IdleScreen>(Desired);
    }

    [Fact]
    public void A_result_that_happened_while_the_display_was_away_is_held_from_when_the_display_shows_it()
    {
        var payment = Settled();

        _clock.Advance(TimeSpan.FromSeconds(30)); // unplugged: nothing acknowledges the result
        var waited = Desired;
        _terminal.Controller.MarkShown(waited!); // replugged: the display shows it now
        _clock.Advance(TimeSpan.FromSeconds(4.9));
        var held = Desired;
        _terminal.Controller.MarkShown(held!); // a re-sync shows it again: the hold does not start over
        _clock.Advance(TimeSpan.FromSeconds(0.1));

        Assert.Equal((payment.Id, DisplayStatus.Failed), (Assert.IsType<ResultScreen>(waited).PaymentId, ((ResultScreen)waited).Status));
        Assert.IsType<ResultScreen>(held);
        Assert.IsType<IdleScreen>(Desired);
    }

    [Fact]
    public void A_result_the_display_does_not_show_within_a_minute_is_stale_and_the_idle_screen_returns_without_it()
    {
        Settled();

        _clock.Advance(TimeSpan.FromSeconds(5) + DisplayTerminal.RecentResult - TimeSpan.FromSeconds(0.1));
        var stillWaiting = Desired;
        _clock.Advance(TimeSpan.FromSeconds(0.1));

        Assert.IsType<ResultScreen>(stillWaiting);
        Assert.IsType<IdleScreen>(Desired);
    }

    [Fact]
    public async Task When_a_display_ends_a_countdown_the_stored_payments_outcome_becomes_its_screen_and_a_waiting_one_changes_nothing()
    {
        var paid = New();
        var waiting = New(createTime: s_start.AddSeconds(1));
        var store = new Store(paid, waiting);
        var outcomes = new DisplayOutcomes(store, _bridge, NullLoggerFactory.Instance, _clock);
        _bridge.Saved(paid, paid.Events);
        paid.Fail("declined", s_start.AddSeconds(20));

        await outcomes.LookUpAsync("POS-01", paid.Id);
        var afterPaid = Desired;
        _bridge.Saved(waiting, waiting.Events);
        await outcomes.LookUpAsync("POS-01", waiting.Id);

        Assert.Equal((paid.Id, DisplayStatus.Failed), (Assert.IsType<ResultScreen>(afterPaid).PaymentId, ((ResultScreen)afterPaid).Status));
        Assert.Equal(waiting.Id, Assert.IsType<QrScreen>(Desired).PaymentId);
    }

    [Fact]
    public async Task After_changes_made_elsewhere_were_missed_a_display_shows_its_payments_result_and_then_a_newer_payment_from_the_store()
    {
        var shown = New();
        _bridge.Saved(shown, shown.Events);
        shown.Fail("declined", s_start.AddSeconds(20)); // on another gateway, while this one's listener was down
        var newer = New(createTime: s_start.AddSeconds(30));

        await _bridge.CatchUpAsync(_terminal, new Store(shown));
        var afterResult = Desired;
        await _bridge.CatchUpAsync(_terminal, new Store(shown, newer));

        Assert.Equal((shown.Id, DisplayStatus.Failed), (Assert.IsType<ResultScreen>(afterResult).PaymentId, ((ResultScreen)afterResult).Status));
        Assert.Equal(newer.Id, Assert.IsType<QrScreen>(Desired).PaymentId);
    }

    [Fact]
    public void A_payments_qr_is_never_desired_again_after_its_result()
    {
        var payment = Settled();

        var again = _terminal.Controller.SetDesired(new QrScreen(Assert.IsType<ResultScreen>(Desired).Payment));

        Assert.False(again);
        Assert.Equal(payment.Id, Assert.IsType<ResultScreen>(Desired).PaymentId);
    }

    [Fact]
    public void A_newer_payment_takes_the_screen_and_the_older_ones_outcome_does_not()
    {
        var older = New();
        var newer = New(createTime: s_start.AddSeconds(30));
        _bridge.Saved(older, older.Events);
        _bridge.Saved(newer, newer.Events);
        older.Cancel(s_start.AddSeconds(40));
        _bridge.Saved(older, []);

        Assert.Equal(newer.Id, Assert.IsType<QrScreen>(Desired).PaymentId);
    }

    [Fact]
    public void A_newer_payment_during_the_hold_is_not_replaced_by_idle()
    {
        var first = New();
        _bridge.Saved(first, first.Events);
        first.Cancel(s_start.AddSeconds(1));
        _bridge.Saved(first, []);
        var second = New(createTime: s_start.AddSeconds(2));
        _bridge.Saved(second, second.Events);
        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(second.Id, Assert.IsType<QrScreen>(Desired).PaymentId);
    }

    [Fact]
    public void Bad_display_settings_fail_at_start_naming_each_setting()
    {
        // The display's own rules and the payments' limit on terminal ids, as the gateway registers them.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Displays:0:TerminalId"] = "POS-01",
            ["Displays:0:PortName"] = "/dev/ttyACM0",
            ["Displays:1:TerminalId"] = "POS-01",
            ["Displays:1:PortName"] = "",
            ["Displays:1:BaudRate"] = "12345",
            ["Displays:2:TerminalId"] = new string('T', 65),
            ["Displays:2:PortName"] = "/dev/ttyACM1",
        }).Build();
        var services = new ServiceCollection();
        services.AddBakongDisplays(configuration);
        services.AddDisplayBridge();
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DisplaysOptions>>().Value);

        Assert.Equal(
            [
                "Displays:1:TerminalId POS-01 is configured twice",
                "Displays:1:PortName is required (e.g. /dev/ttyACM0)",
                "Displays:1:BaudRate must be a standard rate (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)",
                "Displays:2:TerminalId must be at most 64 characters (the terminal_id limit of CreatePayment)",
            ],
            e.Failures);
    }

    [Fact]
    public void Each_display_shows_the_name_of_the_merchant_profile_that_serves_its_terminal()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Merchants:0:Id"] = "market",
            ["Merchants:0:BakongAccountId"] = "sokha_market@aclb",
            ["Merchants:0:Name"] = "Sokha Market",
            ["Merchants:0:Terminals:0"] = "POS-A1",
            ["Merchants:1:Id"] = "cafe",
            ["Merchants:1:BakongAccountId"] = "riverside_cafe@abaa",
            ["Merchants:1:Name"] = "Riverside Cafe",
            ["Displays:0:TerminalId"] = "POS-A1",
            ["Displays:0:PortName"] = "/dev/ttyACM0",
            ["Displays:1:TerminalId"] = "POS-B7",
            ["Displays:1:PortName"] = "/dev/ttyACM1",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_clock);
        services.AddBakongDisplays(configuration);
        services.AddDisplayBridge();
        services.AddOptions<Bakong.Payments.Configuration.MerchantProfiles>()
            .Configure(p => Bakong.Payments.Configuration.MerchantProfiles.Load(p, configuration));
        using var provider = services.BuildServiceProvider();

        var displays = provider.GetRequiredService<ConfiguredDisplays>();

        // POS-A1 is the market's; POS-B7 is listed nowhere, so the café (no terminal list) serves it.
        Assert.Equal("Sokha Market", displays.Find("POS-A1")!.Idle.MerchantName);
        Assert.Equal("Riverside Cafe", displays.Find("POS-B7")!.Idle.MerchantName);
    }

    [Fact]
    public async Task Each_display_is_told_the_language_of_its_terminals_profile_and_shows_the_shops_name_in_it()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the emulator is reached over a pseudo-terminal (Linux)");
        using var khmerPort = PseudoTerminal.Open();
        using var englishPort = PseudoTerminal.Open();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Merchants:0:Id"] = "market",
            ["Merchants:0:BakongAccountId"] = "sokha_market@aclb",
            ["Merchants:0:Name"] = "Sokha Market",
            ["Merchants:0:NameKhmer"] = "ផ្សារសុខា",
            ["Merchants:0:Language"] = "km",
            ["Merchants:0:Terminals:0"] = "POS-KM",
            ["Merchants:1:Id"] = "cafe",
            ["Merchants:1:BakongAccountId"] = "riverside_cafe@abaa",
            ["Merchants:1:Name"] = "Riverside Cafe",
            ["Merchants:1:NameKhmer"] = "ហាងកាហ្វេមាត់ទន្លេ", // an English profile shows its Latin name even when it has a Khmer one
            ["Displays:0:TerminalId"] = "POS-KM",
            ["Displays:0:PortName"] = khmerPort.SlavePath,
            ["Displays:1:TerminalId"] = "POS-EN",
            ["Displays:1:PortName"] = englishPort.SlavePath,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Bakong.Payments.Storage.IPaymentStore>(new Store());
        services.AddBakongDisplays(configuration);
        services.AddDisplayBridge();
        services.AddOptions<Bakong.Payments.Configuration.MerchantProfiles>()
            .Configure(p => Bakong.Payments.Configuration.MerchantProfiles.Load(p, configuration));
        await using var provider = services.BuildServiceProvider();
        var displays = provider.GetServices<IHostedService>().OfType<DisplayService>().Single();
        var khmer = new DisplayEmulator(new DeviceIdentity(), new EmulatorOptions(), TimeProvider.System);
        var english = new DisplayEmulator(new DeviceIdentity(), new EmulatorOptions(), TimeProvider.System);
        var khmerScreens = new ConcurrentQueue<DeviceScreen>();
        khmer.ScreenChanged += khmerScreens.Enqueue;
        using var unplug = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var devices = Task.WhenAll(khmer.RunAsync(khmerPort.Master, unplug.Token), english.RunAsync(englishPort.Master, unplug.Token));
        await displays.StartAsync(Ct);

        var khmerIdle = await khmer.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle, s_deviceTimeout, Ct);
        var englishIdle = await english.WaitForScreenAsync(s => s.Kind == DisplayScreenKind.Idle, s_deviceTimeout, Ct);
        await displays.StopAsync(Ct);
        await unplug.CancelAsync();
        await devices;

        Assert.Equal((DisplayLanguage.Khmer, "ផ្សារសុខា"), (khmerIdle.Language, khmerIdle.MerchantName));
        Assert.Equal((DisplayLanguage.English, "Riverside Cafe"), (englishIdle.Language, englishIdle.MerchantName));
        Assert.All(khmerScreens.Where(s => s.Kind != DisplayScreenKind.Blank), s => Assert.Equal(DisplayLanguage.Khmer, s.Language)); // never drawn in English first
    }

    private Payment Settled()
    {
        var payment = New();
        _bridge.Saved(payment, payment.Events);
        payment.Fail("declined", s_start.AddSeconds(20));
        _bridge.Saved(payment, []);
        return payment;
    }

    private DisplayTerminal Terminal(DisplayPortOptions options, string merchantName) =>
        new(new ConfiguredDisplay(options, merchantName), _clock, NullLogger.Instance);

    private static Payment New(Money? money = null, string terminalId = "POS-01", DateTimeOffset? createTime = null, string? qr = null)
    {
        var created = createTime ?? s_start;
        var id = PaymentIds.NewPaymentId();
        var parameters = new PaymentParameters { TerminalId = terminalId, Money = money ?? Money.Create(KhqrCurrency.Khr, 5000), ExpiresIn = TimeSpan.FromMinutes(5) };
        return Payment.Create(id, "req-" + id, "hash", parameters, "bill", "shop@aclb", qr ?? "000201-" + id, "md5", created, created.AddMinutes(5));
    }

    /// <summary>A payment store that only reads: what the display outcome lookup and the catch-up need.</summary>
    private sealed class Store(params Payment[] payments) : Bakong.Payments.Storage.IPaymentStore
    {
        public Task<Payment?> GetAsync(string paymentId, CancellationToken cancellationToken) =>
            Task.FromResult(payments.FirstOrDefault(p => p.Id == paymentId));

        public Task<Bakong.Payments.Storage.InsertResult> InsertIfAbsentAsync(Payment payment, int? maxPendingForTerminal, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Payment?> GetByRequestIdAsync(string requestId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Payment?> GetByMd5Async(string md5, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Bakong.Payments.Storage.SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<Payment>> GetDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Bakong.Payments.Storage.PendingCount> CountPendingAsync(string terminalId, int atMost, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyDictionary<PaymentState, long>> CountByStateAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Bakong.Payments.Storage.PaymentPage> ListAsync(Bakong.Payments.Storage.PaymentQuery query, CancellationToken cancellationToken) =>
            Task.FromResult(new Bakong.Payments.Storage.PaymentPage(
                [.. payments
                    .Where(p => (query.TerminalId is null || p.TerminalId == query.TerminalId) && (query.State is null || p.State == query.State))
                    .OrderByDescending(p => p.CreateTime)
                    .Take(query.PageSize)],
                null));

        public Task<Bakong.Payments.Storage.PaymentPage> ListExceptionsAsync(Bakong.Payments.Storage.ExceptionQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<Bakong.Payments.Storage.PendingOutboxEntry>> GetPendingOutboxAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DateTimeOffset?> GetNextOutboxDueAsync(DateTimeOffset now, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> MarkOutboxDeliveredAsync(string paymentId, string eventId, DateTimeOffset deliveredTime, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> RecordOutboxFailureAsync(string paymentId, string eventId, DateTimeOffset nextAttemptTime, string? failure, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
