using System.Threading.Channels;
using Bakong.Khqr;
using Bakong.Payments.Configuration;
using Bakong.Payments.Notifications;
using Bakong.Payments.Reporting;
using Bakong.Payments.Storage;
using Bakong.Payments.Tests.Webhooks;
using Bakong.OpenApi.Tokens;
using Bakong.Testing.Telegram;
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
    public async Task A_chat_without_a_language_speaks_the_payments_profile_s_and_a_chat_for_one_profile_hears_only_its_payments()
    {
        await using var bot = await FakeBotApi.StartAsync(Token);
        await using var host = Harness(bot, [("-100200", null), ("-100300", null)], null, extra: new()
        {
            ["Merchants:0:Id"] = "market",
            ["Merchants:0:Language"] = "km",
            ["Merchants:1:Id"] = "cafe",
            ["Merchants:1:Language"] = "en",
            ["Notifications:Telegram:Chats:1:Profiles:0"] = "cafe",
        });
        await host.StartAsync();
        await host.PassAsync();

        await PaidAsync(host, "market");
        await PaidAsync(host, "cafe");
        var calls = new[] { await bot.NextAsync(), await bot.NextAsync(), await bot.NextAsync() }
            .OrderBy(c => c.ChatId, StringComparer.Ordinal).ThenBy(c => c.Text, StringComparer.Ordinal).ToList();

        Assert.Equal(
            [
                new BotCall("-100200", "Received 12.50 USD · POS-01 · 21:04", 200),
                new BotCall("-100200", "បានទទួល 12.50 USD · POS-01 · 21:04", 200),
                new BotCall("-100300", "Received 12.50 USD · POS-01 · 21:04", 200),
            ],
            calls);
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

        // The longest waits: the third retry (20 to 40 s after BackoffBase 10 s) then comes after the 30 s poll, so a
        // pass that sends nothing runs in between, as it does in production about half the time.
        host.Notifier.Jitter = () => 0.99;
        await host.StartAsync();
        await host.PassAsync(); // the first pass, over an empty store
        await PaidAsync(host);

        var calledAt = new List<DateTimeOffset>();
        for (var i = 0; i < 3; i++)
        {
            var (call, next) = await host.UntilCallAsync(bot);
            Assert.Equal(500, call.Status);
            calledAt.Add(_clock.GetUtcNow());
            Assert.True(next > _clock.GetUtcNow(), "a failure waits for its backoff");
            _clock.Advance(next - _clock.GetUtcNow());
        }

        Assert.Equal(200, (await host.UntilCallAsync(bot)).Call.Status);
        calledAt.Add(_clock.GetUtcNow());

        // Each retry no sooner than half its ceiling: 10, 20, 40 s after the 1st, 2nd, 3rd failure (BackoffBase 10 s).
        for (var i = 1; i < calledAt.Count; i++)
        {
            Assert.True(calledAt[i] - calledAt[i - 1] >= TimeSpan.FromSeconds(5 << (i - 1)), $"retry {i} came {calledAt[i] - calledAt[i - 1]} after failure {i}");
        }

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
    public async Task Without_a_bot_token_nothing_is_sent_until_one_is_set_and_then_the_waiting_payment_is_announced()
    {
        await using var bot = await FakeBotApi.StartAsync(Token);
        var logs = new CapturingLoggerProvider();
        await using var host = Harness(bot, [("-100200", "en")], logs, token: null);
        await host.StartAsync();
        await host.PassAsync();
        await PaidAsync(host);
        await host.PassAsync();
        _clock.Advance(TimeSpan.FromSeconds(30));
        await host.PassAsync();

        Assert.True(bot.NothingMore);
        Assert.Single(logs.Entries, e => e.EventId.Id == 2805);
        Assert.False(host.Announcements.GetStatus().TokenSet);

        var status = host.Announcements.SetToken(Token, "operator-1");

        Assert.True(status.TokenSet);
        Assert.Equal(_clock.GetUtcNow(), status.TokenSetAt);
        Assert.Equal("Received 12.50 USD · POS-01 · 21:04", (await host.UntilCallAsync(bot)).Call.Text);
        var chat = Assert.Single(host.Announcements.GetStatus().Chats);
        Assert.Equal(("-100200", "en", (DateTimeOffset?)_clock.GetUtcNow(), (string?)null), (chat.ChatId, chat.Language, chat.LastDelivery, chat.LastError));
        Assert.DoesNotContain(logs.Entries, e => e.Text.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_test_message_goes_to_every_chat_in_its_language_and_a_refusal_is_reported_without_the_token()
    {
        await using var bot = await FakeBotApi.StartAsync(Token);
        await using var host = Harness(bot, ("-100200", "en"), ("-100300", "km"));
        await host.StartAsync();
        await host.PassAsync();
        bot.Answers.Enqueue((200, """{"ok":true,"result":{}}"""));
        bot.Answers.Enqueue((403, """{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the group chat"}"""));

        var results = await host.Announcements.SendTestAsync(Ct);

        Assert.NotNull(results);
        Assert.Equal(("-100200", true, (string?)null), (results[0].ChatId, results[0].Sent, results[0].Failure));
        Assert.Equal(("-100300", false), (results[1].ChatId, results[1].Sent));
        Assert.Equal("HTTP 403 Forbidden: bot was kicked from the group chat", results[1].Failure);
        var calls = new[] { await bot.NextAsync(), await bot.NextAsync() };
        Assert.StartsWith("Test message from the Bakong gateway", calls[0].Text, StringComparison.Ordinal);
        Assert.StartsWith("សារសាកល្បង", calls[1].Text, StringComparison.Ordinal);
        Assert.True(bot.NothingMore);
    }

    [Fact]
    public void Settings_refuse_plain_http_off_loopback_and_an_unknown_language()
    {
        var options = new TelegramOptions { Enabled = true, ApiBaseUrl = new Uri("http://bot.example.com/"), Language = "fr" };
        options.Chats.Add(new TelegramChatOptions { ChatId = "1" });
        var result = new TelegramOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Notifications:Telegram:ApiBaseUrl", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Notifications:Telegram:Language", result.FailureMessage, StringComparison.Ordinal);

        var loopback = new TelegramOptions { Enabled = true, ApiBaseUrl = new Uri("http://127.0.0.1:8081/") };
        loopback.Chats.Add(new TelegramChatOptions { ChatId = "1", Language = "km" });
        Assert.True(new TelegramOptionsValidator().Validate(null, loopback).Succeeded);
    }

    private async Task PaidAsync(TelegramHarness host, string merchantProfileId = Payment.DefaultMerchantProfileId)
    {
        var payment = TestPayments.New(
            createTime: _clock.GetUtcNow(), terminalId: "POS-01", money: Money.Create(KhqrCurrency.Usd, 12.50m), merchantProfileId: merchantProfileId);
        await _store.InsertIfAbsentAsync(payment, Ct);
        payment.Settle(TestPayments.Transaction(amount: 12.50m), _clock.GetUtcNow());
        Assert.Equal(SaveResult.Saved, await _store.SaveAsync(payment, Ct));
        host.Signal.Notify();
    }

    private TelegramHarness Harness(FakeBotApi bot, params (string ChatId, string? Language)[] chats) => Harness(bot, chats, null);

    private TelegramHarness Harness(
        FakeBotApi bot, (string ChatId, string? Language)[] chats, CapturingLoggerProvider? logs, string? token = Token, Dictionary<string, string?>? extra = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Storage:Path"] = _dir.File("bakong.db"),
            ["Notifications:Telegram:Enabled"] = "true",
            ["Notifications:Telegram:ApiBaseUrl"] = bot.Url.ToString(),
            ["Notifications:Telegram:BackoffBase"] = "00:00:10",
            ["Notifications:Telegram:BackoffMax"] = "00:01:00",
        };
        for (var i = 0; i < chats.Length; i++)
        {
            config[$"Notifications:Telegram:Chats:{i}:ChatId"] = chats[i].ChatId;
            config[$"Notifications:Telegram:Chats:{i}:Language"] = chats[i].Language;
        }

        foreach (var (key, value) in extra ?? [])
        {
            config[key] = value;
        }

        return new TelegramHarness(_store, _clock, new ConfigurationBuilder().AddInMemoryCollection(config).Build(), logs, _dir.File("bakong-tokens.db"), token);
    }
}

/// <summary>The notifier as the gateway registers it, over a real store, on a fake clock, each pass reported.</summary>
internal sealed class TelegramHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly FakeTimeProvider _clock;
    private bool _started;

    /// <param name="token">Set in the token store before the notifier starts, as <c>bakong notify telegram set-token</c> does; null: none.</param>
    public TelegramHarness(IPaymentStore store, FakeTimeProvider clock, IConfiguration configuration, CapturingLoggerProvider? logs, string tokenDatabase, string? token)
    {
        _clock = clock;
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
        services.AddOptions<MerchantProfiles>().Configure(profiles => MerchantProfiles.Load(profiles, configuration));
        services.AddBakongTokens(o => o.DatabasePath = tokenDatabase);
        services.AddTelegramNotifications(configuration);
        _provider = services.BuildServiceProvider();
        Secrets = _provider.GetRequiredService<StoredSecrets>();
        if (token is not null)
        {
            Secrets.Set(StoredSecrets.TelegramBotToken, token);
        }

        Notifier = _provider.GetRequiredService<TelegramNotifier>();
        Notifier.PassCompleted = next => Passes.Writer.TryWrite(next);
        Signal = _provider.GetRequiredService<TelegramSignal>();
        Meters = _provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
    }

    public TelegramNotifier Notifier { get; }

    public StoredSecrets Secrets { get; }

    public TelegramAnnouncements Announcements => _provider.GetRequiredService<TelegramAnnouncements>();

    public TelegramSignal Signal { get; }

    public System.Diagnostics.Metrics.IMeterFactory Meters { get; }

    /// <summary>When each pass planned the next (reported once its timer is armed).</summary>
    public Channel<DateTimeOffset> Passes { get; } = Channel.CreateUnbounded<DateTimeOffset>();

    public async Task StartAsync()
    {
        _started = true;
        await Notifier.StartAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Follows the notifier until a pass calls the bot: waits for the pass under way and, while it called nothing,
    /// moves the clock to the time that pass planned (its timer is armed by then: <see cref="TelegramNotifier.PassCompleted"/>)
    /// and waits for the pass that wakes. A pass that called has its call in <see cref="FakeBotApi.Calls"/> before it
    /// completes (the fake records a call before it answers). Returns the call and what its pass planned next.
    /// </summary>
    /// <remarks>
    /// Never a guess of when the retry is due: a backoff with jitter or Telegram's retry_after can land after the next
    /// poll, and a pass that sends nothing then comes first; moving the clock once to that poll and waiting for a call
    /// waits forever (the flake that reverted the first merge).
    /// </remarks>
    public async Task<(BotCall Call, DateTimeOffset Next)> UntilCallAsync(FakeBotApi bot)
    {
        for (var pass = 0; pass < 10; pass++)
        {
            var next = await PassAsync();
            if (bot.Calls.Reader.TryRead(out var call))
            {
                return (call, next);
            }

            Assert.True(next > _clock.GetUtcNow(), "a pass that sent nothing plans a later one");
            _clock.Advance(next - _clock.GetUtcNow());
        }

        throw new InvalidOperationException("Ten passes and no call to the bot.");
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
