using System.Text;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Khqr;
using Bakong.Payments;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Display.Payments.Tests;

public sealed class DisplayBridgeTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly DisplayTerminal _terminal;
    private readonly DisplayBridge _bridge;

    public DisplayBridgeTests()
    {
        _terminal = Terminal(new DisplayPortOptions { TerminalId = "POS-01", PortName = "/dev/null", IdleText = "Welcome" }, "Sokha Coffee");
        _bridge = new DisplayBridge([_terminal]);
    }

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
        Assert.Equal(DisplayStatus.Waiting, qr.Status);
        Assert.Equal(
            new ShowQrMessage(payment.Id, 1250, 840, 2, (ulong)payment.ExpireTime.ToUnixTimeMilliseconds(), 0, "Sokha Coffee", payment.Qr),
            qr.Qr);
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
        payment.Cancel(Start.AddSeconds(10));
        _bridge.Saved(payment, []);

        Assert.Equal(DisplayStatus.Cancelled, Assert.IsType<QrScreen>(Desired).Status);
        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.IsType<QrScreen>(Desired);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.IsType<IdleScreen>(Desired);

        payment.RecordReconciliationCheck(Start.AddMinutes(1));
        _bridge.Saved(payment, []);
        Assert.IsType<IdleScreen>(Desired);
    }

    [Fact]
    public void A_newer_payment_takes_the_screen_and_the_older_ones_outcome_does_not()
    {
        var older = New();
        var newer = New(createTime: Start.AddSeconds(30));
        _bridge.Saved(older, older.Events);
        _bridge.Saved(newer, newer.Events);
        older.Cancel(Start.AddSeconds(40));
        _bridge.Saved(older, []);

        var shown = Assert.IsType<QrScreen>(Desired);
        Assert.Equal((newer.Id, DisplayStatus.Waiting), (shown.PaymentId, shown.Status));
    }

    [Fact]
    public void A_newer_payment_during_the_hold_is_not_replaced_by_idle()
    {
        var first = New();
        _bridge.Saved(first, first.Events);
        first.Cancel(Start.AddSeconds(1));
        _bridge.Saved(first, []);
        var second = New(createTime: Start.AddSeconds(2));
        _bridge.Saved(second, second.Events);
        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(second.Id, Assert.IsType<QrScreen>(Desired).PaymentId);
    }

    [Fact]
    public void A_512_byte_qr_with_a_long_merchant_name_still_fits_one_frame_by_shortening_the_name()
    {
        var terminal = Terminal(new DisplayPortOptions { TerminalId = "POS-01", PortName = "/dev/null" }, new string('ក', 40));
        var payment = New(qr: new string('Q', 512));

        terminal.OnSaved(payment);

        var qr = Assert.IsType<QrScreen>(terminal.Controller.Desired).Qr;
        Assert.True(qr.ToPayload().Length <= FrameCodec.MaxPayload);
        Assert.Equal(payment.Qr, qr.Qr);
        Assert.StartsWith("កក", qr.MerchantName, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shortened_merchant_name_ends_on_a_whole_utf8_character_and_is_the_longest_that_fits()
    {
        // "Ab" puts the 3-byte Khmer letters off the byte limits (96, and what the QR leaves), so both cuts land mid-letter.
        var name = "Ab" + new string('ក', 40);
        var terminal = Terminal(new DisplayPortOptions { TerminalId = "POS-01", PortName = "/dev/null" }, name);
        var payment = New(qr: new string('Q', 512));

        terminal.OnSaved(payment);

        var qr = Assert.IsType<QrScreen>(terminal.Controller.Desired).Qr;
        var length = qr.ToPayload().Length;
        Assert.True(length <= FrameCodec.MaxPayload);
        Assert.True(length + 3 > FrameCodec.MaxPayload); // one more letter would not fit
        Assert.Equal("Ab" + new string('ក', qr.MerchantName.Length - 2), qr.MerchantName);
        Assert.Equal(0, (Encoding.UTF8.GetByteCount(qr.MerchantName) - 2) % 3);
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

    private DisplayTerminal Terminal(DisplayPortOptions options, string merchantName) =>
        new(new ConfiguredDisplay(options, merchantName), _clock, NullLogger.Instance);

    private static Payment New(Money? money = null, string terminalId = "POS-01", DateTimeOffset? createTime = null, string? qr = null)
    {
        var created = createTime ?? Start;
        var id = PaymentIds.NewPaymentId();
        var parameters = new PaymentParameters { TerminalId = terminalId, Money = money ?? Money.Create(KhqrCurrency.Khr, 5000), ExpiresIn = TimeSpan.FromMinutes(5) };
        return Payment.Create(id, "req-" + id, "hash", parameters, "bill", "shop@aclb", qr ?? "000201-" + id, "md5", created, created.AddMinutes(5));
    }
}
