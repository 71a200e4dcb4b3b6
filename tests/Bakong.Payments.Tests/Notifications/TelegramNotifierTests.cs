using System.Threading.Channels;
using Bakong.Khqr;
using Bakong.Payments.Configuration;
using Bakong.Payments.Notifications;
using Bakong.Payments.Reporting;
using Bakong.Payments.Storage;
using Bakong.Payments.Tests.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Payments.Tests.Notifications;

public sealed class TelegramNotifierTests : IAsyncDisposable
{
    private const string Token = "7654321:AAH-fake_bot_TOKEN-never-logged";

    // 14:04 UTC is 21:04 in Phnom Penh (Reports:TimeZone's default).
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 14, 4, 0, TimeSpan.Zero));
    private readonly TempDirectory _dir = new();
    private readonly LiteDbPaymentStore _store;

    public TelegramNotifierTests()
    {
        _store = new LiteDbPaymentStore(_dir.File("bakong.db"));
        File.WriteAllText(_dir.File("telegram.token"), Token + "\n");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync()
    {
        _store.Dispose();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_paid_payment_is_announced_once_per_chat_in_English_and_in_Khmer()
    {
        await using var bot = await FakeBotApi.StartAsync(Token);
        await using var host = Harness(bot, ("-100200", "en"), ("-100300", "km"));
        await host.StartAsync();
        await host.PassAsync(); // the first pass, over an empty store

        await PaidAsync(host);
        var calls = new[] { await bot.NextAsync(), await bot.NextAsync() }.OrderBy(c => c.ChatId, StringComparer.Ordinal).ToList();

        Assert.Equal(new BotCall("-100200", "Received 12.50 USD · POS-01 · 21:04", 200), calls[0]);
        Assert.Equal(new BotCall("-100300", "បានទទួល 12.50 USD · POS-01 · 21:04", 200), calls[1]);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dir.File("notifications.db")));
        }

        // Another pass over the same outbox entry sends nothing: the deliveries are recorded per event and chat.
        await host.PassAsync();
        host.Signal.Notify();
        await host.PassAsync();
        Assert.True(bot.NothingMore);
    }

    [Fact]
    public async Task A_payment_paid_late_is_announced_and_marked_late_but_a_review_is_not()
    {
        await using var bot = await FakeBotApi.StartAsync(Token);
        await using var host = Harness(bot, ("-100200", "en"));
        await host.StartAsync();
        await host.PassAsync(); // the first pass, over an empty store

        var late = TestPayments.New(createTime: _clock.GetUtcNow(), terminalId: "POS-02", money: Money.Create(KhqrCurrency.Khr, 4400m));
        await _store.InsertIfAbsentAsync(late, Ct);
        _clock.Advance(TimeSpan.FromMinutes(6));
        await host.PassAsync(); // the poll the clock's jump triggered, before anything settled
        late.Expire(_clock.GetUtcNow());
        late.Settle(TestPayments.Transaction(amount: 4400m, currency: "KHR", hash: "late1"), _clock.GetUtcNow());
        Assert.Equal(SaveResult.Saved, await _store.SaveAsync(late, Ct));

        var review = TestPayments.New(createTime: _clock.GetUtcNow());
        await _store.InsertIfAbsentAsync(review, Ct);
        review.Settle(TestPayments.Transaction(amount: 1.00m, hash: "short1"), _clock.GetUtcNow());
        Assert.Equal(SaveResult.Saved, await _store.SaveAsync(review, Ct));
        host.Signal.Notify();

        Assert.Equal("Received 4400 KHR · POS-02 · 21:10 (paid after expiry)", (await bot.NextAsync()).Text);
        await host.PassAsync();
        host.Signal.Notify();
        await host.PassAsync();
        Assert.True(bot.NothingMore);
    }

    [Fact]
    public async Task Three_failures_then_success_send_exactly_one_message()
    {
        await using var bot = await FakeBotApi.StartAsync(Token);
        for (var i = 0; i < 3; i++)
        {
            bot.Answers.Enqueue((500, """{"ok":false,"error_code":500,"description":"Internal Server Error"}"""));
        }

        await using var host = Harness(bot, ("-100200", "en"));
        await host.StartAsync();
        await host.PassAsync(); // the first pass, over an empty store
        await PaidAsync(host);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(500, (await bot.NextAsync()).Status);
            var next = await host.PassAsync();
            Assert.True(next > _clock.GetUtcNow(), "a failure waits for its backoff");
            _clock.Advance(next - _clock.GetUtcNow());
        }

        Assert.Equal(200, (await bot.NextAsync()).Status);
        await host.PassAsync();
        host.Signal.Notify();
        await host.PassAsync();
        Assert.True(bot.NothingMore);
    }

    [Fact]
    public async Task A_429_waits_exactly_the_retry_after_Telegram_gives()
    {
        await using var bot = await FakeBotApi.StartAsync(Token);
        bot.Answers.Enqueue((429, """{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 30","parameters":{"retry_after":30}}"""));
        await using var host = Harness(bot, ("-100200", "en"));
        await host.StartAsync();
        await host.PassAsync(); // the first pass, over an empty store
        await PaidAsync(host);

        Assert.Equal(429, (await bot.NextAsync()).Status);
        var failedAt = _clock.GetUtcNow();
        Assert.Equal(failedAt + TimeSpan.FromSeconds(30), await host.PassAsync());

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(200, (await bot.NextAsync()).Status);
    }

    [Fact]
    public async Task A_restart_mid_delivery_still_sends_exactly_one_message()
    {
        await using var bot = await FakeBotApi.StartAsync(Token);
        bot.Answers.Enqueue((502, """{"ok":false,"error_code":502,"description":"Bad Gateway"}"""));
        await using (var first = Harness(bot, ("-100200", "en")))
        {
            await first.StartAsync();
            await first.PassAsync();
            await PaidAsync(first);
            Assert.Equal(502, (await bot.NextAsync()).Status);
            await first.PassAsync();
        }

        // The gateway comes back after the backoff: the same outbox entry, the same delivery record.
        _clock.Advance(TimeSpan.FromMinutes(2));
        await using (var second = Harness(bot, ("-100200", "en")))
        {
            await second.StartAsync();
            Assert.Equal(200, (await bot.NextAsync()).Status);
            await second.PassAsync();
        }

        await using (var third = Harness(bot, ("-100200", "en")))
        {
            await third.StartAsync();
            await third.PassAsync();
        }

        Assert.True(bot.NothingMore);
    }

    [Fact]
    public async Task A_permanent_error_stops_retrying_with_a_log_line_and_a_metric_and_the_token_is_never_logged()
    {
        await using var bot = await FakeBotApi.StartAsync(Token);

        // Telegram's own text, with the token echoed back, as a proxy in between might: it must still not reach a log.
        bot.Answers.Enqueue((400, """{"ok":false,"error_code":400,"description":"Bad Request: chat not found (/bot""" + Token + """/sendMessage)"}"""));
        var logs = new CapturingLoggerProvider();
        await using var host = Harness(bot, [("@nowhere", "en")], logs);
        using var metric = new MetricCollector<long>(host.Meters, Bakong.Payments.Telemetry.PaymentMetrics.MeterName, "bakong.notifications.telegram");
        await host.StartAsync();
        await host.PassAsync(); // the first pass, over an empty store
        await PaidAsync(host);

        Assert.Equal(400, (await bot.NextAsync()).Status);
        await host.PassAsync();
        _clock.Advance(TimeSpan.FromHours(1));
        host.Signal.Notify();
        await host.PassAsync();
        Assert.True(bot.NothingMore);

        var gaveUp = Assert.Single(logs.Entries, e => e.EventId.Id == 2803);
        Assert.Contains("chat not found", gaveUp.Text, StringComparison.Ordinal);
        Assert.Contains("/bot***/sendMessage", gaveUp.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Text.Contains(Token, StringComparison.Ordinal) || e.Text.Contains("AAH-fake", StringComparison.Ordinal));
        var measurement = Assert.Single(metric.GetMeasurementSnapshot());
        Assert.Equal("gave_up", measurement.Tags["outcome"]);
    }

    [Fact]
    public void Settings_refuse_plain_http_off_loopback_a_missing_token_file_and_an_unknown_language()
    {
        var options = new TelegramOptions { Enabled = true, BotTokenFile = _dir.File("missing"), ApiBaseUrl = new Uri("http://bot.example.com/"), Language = "fr" };
        options.Chats.Add(new TelegramChatOptions { ChatId = "1" });
        var result = new TelegramOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Notifications:Telegram:BotTokenFile", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Notifications:Telegram:ApiBaseUrl", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Notifications:Telegram:Language", result.FailureMessage, StringComparison.Ordinal);

        var loopback = new TelegramOptions { Enabled = true, BotTokenFile = _dir.File("telegram.token"), ApiBaseUrl = new Uri("http://127.0.0.1:8081/") };
        loopback.Chats.Add(new TelegramChatOptions { ChatId = "1", Language = "km" });
        Assert.True(new TelegramOptionsValidator().Validate(null, loopback).Succeeded);
    }

    private async Task PaidAsync(TelegramHarness host)
    {
        var payment = TestPayments.New(createTime: _clock.GetUtcNow(), terminalId: "POS-01", money: Money.Create(KhqrCurrency.Usd, 12.50m));
        await _store.InsertIfAbsentAsync(payment, Ct);
        payment.Settle(TestPayments.Transaction(amount: 12.50m), _clock.GetUtcNow());
        Assert.Equal(SaveResult.Saved, await _store.SaveAsync(payment, Ct));
        host.Signal.Notify();
    }

    private TelegramHarness Harness(FakeBotApi bot, params (string ChatId, string Language)[] chats) => Harness(bot, chats, null);

    private TelegramHarness Harness(FakeBotApi bot, (string ChatId, string Language)[] chats, CapturingLoggerProvider? logs)
    {
        var config = new Dictionary<string, string?>
        {
            ["Storage:Path"] = _dir.File("bakong.db"),
            ["Notifications:Telegram:Enabled"] = "true",
            ["Notifications:Telegram:BotTokenFile"] = _dir.File("telegram.token"),
            ["Notifications:Telegram:ApiBaseUrl"] = bot.Url.ToString(),
            ["Notifications:Telegram:BackoffBase"] = "00:00:10",
            ["Notifications:Telegram:BackoffMax"] = "00:01:00",
        };
        for (var i = 0; i < chats.Length; i++)
        {
            config[$"Notifications:Telegram:Chats:{i}:ChatId"] = chats[i].ChatId;
            config[$"Notifications:Telegram:Chats:{i}:Language"] = chats[i].Language;
        }

        return new TelegramHarness(_store, _clock, new ConfigurationBuilder().AddInMemoryCollection(config).Build(), logs);
    }
}

/// <summary>The notifier as the gateway registers it, over a real store, on a fake clock, each pass reported.</summary>
internal sealed class TelegramHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private bool _started;

    public TelegramHarness(IPaymentStore store, FakeTimeProvider clock, IConfiguration configuration, CapturingLoggerProvider? logs)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton(store);
        services.AddOptions<PaymentStorageOptions>().Bind(configuration.GetSection(PaymentStorageOptions.Section));
        services.AddOptions<ReportOptions>();
        services.AddTelegramNotifications(configuration);
        _provider = services.BuildServiceProvider();
        Notifier = _provider.GetRequiredService<TelegramNotifier>();
        Notifier.PassCompleted = next => Passes.Writer.TryWrite(next);
        Signal = _provider.GetRequiredService<TelegramSignal>();
        Meters = _provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
    }

    public TelegramNotifier Notifier { get; }

    public TelegramSignal Signal { get; }

    public System.Diagnostics.Metrics.IMeterFactory Meters { get; }

    /// <summary>When each pass planned the next (reported once its timer is armed).</summary>
    public Channel<DateTimeOffset> Passes { get; } = Channel.CreateUnbounded<DateTimeOffset>();

    public async Task StartAsync()
    {
        _started = true;
        await Notifier.StartAsync(TestContext.Current.CancellationToken);
    }

    public async Task<DateTimeOffset> PassAsync() =>
        await Passes.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await Notifier.StopAsync(CancellationToken.None);
        }

        await _provider.DisposeAsync();
    }
}
