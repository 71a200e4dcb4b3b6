using Bakong.Payments.Storage;
using Bakong.Payments.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Tests.Webhooks;

public sealed class WebhookBackoffTests
{
    [Fact]
    public void The_ceiling_doubles_per_failure_and_stops_at_the_maximum()
    {
        var b = TimeSpan.FromSeconds(5);
        var max = TimeSpan.FromHours(1);

        Assert.Equal(
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600],
            Enumerable.Range(1, 12).Select(n => WebhookBackoff.Ceiling(n, b, max).TotalSeconds));
        Assert.Equal(max, WebhookBackoff.Ceiling(int.MaxValue, b, max));
    }

    [Theory]
    [InlineData(0.0, 20)]
    [InlineData(0.5, 30)]
    [InlineData(0.999999, 40)]
    public void Jitter_spreads_the_delay_between_half_the_ceiling_and_the_ceiling(double random, int seconds) =>
        Assert.Equal(seconds, WebhookBackoff.Delay(4, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1), random).TotalSeconds, precision: 3);
}

public sealed class WebhookOptionsTests
{
    [Fact]
    public void No_url_is_valid_and_turns_delivery_off()
    {
        var options = Resolve(new());

        Assert.False(options.IsEnabled);
    }

    [Fact]
    public void A_url_without_a_secret_fails_at_start_with_a_clear_message()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Webhooks:Url"] = "https://shop.example/hooks" }));

        Assert.Contains("Webhooks:Secret is required", e.Message);
    }

    [Theory]
    [InlineData("https://shop.example/hooks", "short", "at least 32 characters")]
    [InlineData("http://shop.example/hooks", WebhookHarness.Secret, "must use https")]
    [InlineData("/hooks", WebhookHarness.Secret, "absolute http(s) URL")]
    [InlineData("ftp://shop.example/hooks", WebhookHarness.Secret, "absolute http(s) URL")]
    public void Bad_settings_fail_validation(string url, string secret, string message)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Webhooks:Url"] = url, ["Webhooks:Secret"] = secret }));

        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Plain_http_is_allowed_on_loopback_or_when_allowed_explicitly()
    {
        Assert.True(Resolve(new() { ["Webhooks:Url"] = "http://127.0.0.1:9000/h", ["Webhooks:Secret"] = WebhookHarness.Secret }).IsEnabled);
        Assert.True(Resolve(new()
        {
            ["Webhooks:Url"] = "http://pos.lan/h",
            ["Webhooks:Secret"] = WebhookHarness.Secret,
            ["Webhooks:AllowHttp"] = "true",
        }).IsEnabled);
    }

    [Fact]
    public void Backoff_and_attempt_limits_are_range_checked()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Resolve(new()
        {
            ["Webhooks:BackoffBase"] = "00:10:00",
            ["Webhooks:BackoffMax"] = "00:05:00",
            ["Webhooks:MaxAttempts"] = "0",
            ["Webhooks:Url"] = "https://shop.example/hooks",
            ["Webhooks:Secret"] = WebhookHarness.Secret,
        }));

        Assert.Contains("BackoffMax", e.Message);
        Assert.Contains("MaxAttempts", e.Message);
    }

    [Fact]
    public void Secrets_and_a_secret_file_give_every_secret_to_sign_with_in_order()
    {
        const string Old = "whsec_old_0123456789abcdefghijklmnopqrstuv";
        var file = Path.Combine(Path.GetTempPath(), "bakong-webhook-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, WebhookHarness.Secret + "\n\n  " + Old + "  \n");
        try
        {
            var inline = Resolve(new()
            {
                ["Webhooks:Url"] = "https://shop.example/hooks",
                ["Webhooks:Secret"] = WebhookHarness.Secret,
                ["Webhooks:Secrets:0"] = Old,
            });
            var fromFile = Resolve(new() { ["Webhooks:Url"] = "https://shop.example/hooks", ["Webhooks:SecretFile"] = file });

            Assert.Equal([WebhookHarness.Secret, Old], inline.SigningSecrets());
            Assert.Equal([WebhookHarness.Secret, Old], fromFile.SigningSecrets());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_secret_file_that_is_missing_short_or_beside_a_secret_fails_at_start_without_showing_a_secret()
    {
        var file = Path.Combine(Path.GetTempPath(), "bakong-webhook-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, WebhookHarness.Secret + "\nshort-secret\n");
        try
        {
            var missing = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Webhooks:Url"] = "https://shop.example/hooks", ["Webhooks:SecretFile"] = file + ".nope" }));
            var shortOne = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Webhooks:Url"] = "https://shop.example/hooks", ["Webhooks:SecretFile"] = file }));
            var both = Assert.Throws<OptionsValidationException>(() => Resolve(new()
            {
                ["Webhooks:Url"] = "https://shop.example/hooks",
                ["Webhooks:SecretFile"] = file,
                ["Webhooks:Secret"] = WebhookHarness.Secret,
            }));

            Assert.Contains("Webhooks:SecretFile '" + file + ".nope' cannot be read", missing.Message, StringComparison.Ordinal);
            Assert.Contains("Webhooks:SecretFile must be at least 32 characters (every secret; 2 given)", shortOne.Message, StringComparison.Ordinal);
            Assert.Contains("not used together with Webhooks:Secret", both.Message, StringComparison.Ordinal);
            Assert.All(new[] { missing, shortOne, both }, e => Assert.DoesNotContain("short-secret", e.Message, StringComparison.Ordinal));
            Assert.All(new[] { missing, shortOne, both }, e => Assert.DoesNotContain(WebhookHarness.Secret, e.Message, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static WebhookOptions Resolve(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWebhookDispatcher(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<WebhookOptions>>().Value;
    }
}

public sealed class WebhookPayloadTests
{
    [Fact]
    public void An_event_has_the_same_bytes_before_and_after_the_payment_moves_on()
    {
        var payment = TestPayments.New();
        payment.Expire(TestPayments.Start.AddMinutes(6));
        var expired = new PendingOutboxEntry(payment, payment.Outbox.Single());
        var before = WebhookPayload.Build(expired);

        payment.Settle(TestPayments.Transaction(), TestPayments.Start.AddMinutes(20));
        var after = WebhookPayload.Build(new PendingOutboxEntry(payment, payment.Outbox[0]));

        Assert.Equal(before, after);
        Assert.Contains("\"settle_time\":\"2026-03-01T08:06:00.000Z\"", System.Text.Encoding.UTF8.GetString(after));
    }
}

public sealed class WebhookSenderTests
{
    [Fact]
    public async Task An_attempt_that_gets_no_answer_fails_after_the_timeout_on_the_clock()
    {
        var clock = TestPayments.Clock();
        using var handler = new HangingHandler();
        using var http = new HttpClient(handler);
        var sender = new WebhookSender(http, new Uri("https://shop.example/hooks"), [WebhookHarness.Secret], TimeSpan.FromSeconds(10), clock);

        var attempt = sender.SendAsync("evt_1", "{}"u8.ToArray(), TestContext.Current.CancellationToken);
        await handler.Started.Task.WaitAsync(WebhookHarness.Timeout, TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromSeconds(10));
        var result = await attempt.WaitAsync(WebhookHarness.Timeout, TestContext.Current.CancellationToken);

        Assert.False(result.Delivered);
        Assert.Null(result.StatusCode);
        Assert.Equal("no response within 00:00:10", result.Failure);
        Assert.Equal("evt_1", handler.Request!.Headers.GetValues(WebhookSignature.EventIdHeaderName).Single());
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(204, true)]
    [InlineData(301, false)]
    [InlineData(400, false)]
    [InlineData(503, false)]
    public async Task Only_a_2xx_is_a_delivery(int status, bool delivered)
    {
        using var handler = new StatusHandler((System.Net.HttpStatusCode)status);
        using var http = new HttpClient(handler);
        var sender = new WebhookSender(http, new Uri("https://shop.example/hooks"), [WebhookHarness.Secret], TimeSpan.FromSeconds(10), TestPayments.Clock());

        var result = await sender.SendAsync("evt_1", "{}"u8.ToArray(), TestContext.Current.CancellationToken);

        Assert.Equal(delivered, result.Delivered);
        Assert.Equal(status, result.StatusCode);
    }

    [Fact]
    public async Task With_several_secrets_the_header_has_one_v1_per_secret_and_a_receiver_holding_any_one_accepts()
    {
        const string Next = "whsec_next_0123456789abcdefghijklmnopqrstu";
        var clock = TestPayments.Clock();
        using var handler = new StatusHandler(System.Net.HttpStatusCode.OK);
        using var http = new HttpClient(handler);
        var sender = new WebhookSender(http, new Uri("https://shop.example/hooks"), [WebhookHarness.Secret, Next], TimeSpan.FromSeconds(10), clock);
        var body = "{}"u8.ToArray();

        await sender.SendAsync("evt_1", body, TestContext.Current.CancellationToken);

        var header = handler.Request!.Headers.GetValues(WebhookSignature.HeaderName).Single();
        Assert.Equal(2, header.Split(',').Count(p => p.StartsWith("v1=", StringComparison.Ordinal)));
        Assert.True(WebhookSignature.Verify(header, body, WebhookHarness.Secret, clock.GetUtcNow(), WebhookSignature.DefaultTolerance));
        Assert.True(WebhookSignature.Verify(header, body, Next, clock.GetUtcNow(), WebhookSignature.DefaultTolerance));
        Assert.False(WebhookSignature.Verify(header, body, "whsec_other_0123456789abcdefghijklmnopqrs", clock.GetUtcNow(), WebhookSignature.DefaultTolerance));
    }

    private sealed class HangingHandler : HttpMessageHandler
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HttpRequestMessage? Request { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            var never = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = cancellationToken.Register(() => never.TrySetCanceled(cancellationToken));
            Started.TrySetResult();
            return await never.Task;
        }
    }

    private sealed class StatusHandler(System.Net.HttpStatusCode status) : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            return Task.FromResult(new HttpResponseMessage(status));
        }
    }
}
