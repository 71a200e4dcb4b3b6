using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Bakong.Khqr;
using Bakong.Payments.Storage;
using Bakong.Payments.Webhooks;

namespace Bakong.Payments.Tests.Webhooks;

public sealed class WebhookDispatcherTests : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private LiteDbPaymentStore _store;
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = TestPayments.Clock();

    public WebhookDispatcherTests() => _store = new LiteDbPaymentStore(_dir.File("bakong.db"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync()
    {
        _store.Dispose();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Every_outcome_is_posted_once_with_its_type_a_valid_signature_and_the_payment_as_of_the_event()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = new WebhookHarness(_store, _clock, receiver.Url);
        await host.StartAsync();
        await host.PassAsync();

        var paid = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow()), (p, now) => p.Settle(TestPayments.Transaction(), now));
        var failed = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow()), (p, now) => p.Fail("insufficient funds", now));
        var cancelled = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow()), (p, now) => p.Cancel(now));
        var late = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow().AddMinutes(-10)), (p, now) =>
        {
            p.Expire(now.AddSeconds(-1));
            p.Settle(TestPayments.Transaction(hash: "late1"), now);
        });
        var review = await host.SaveAsync(
            TestPayments.New(createTime: _clock.GetUtcNow(), money: Money.Create(KhqrCurrency.Khr, 4400m)),
            (p, now) => p.Settle(TestPayments.Transaction(amount: 4000m, currency: "KHR", hash: "short1"), now));

        var received = new List<ReceivedWebhook>();
        for (var i = 0; i < 6; i++)
        {
            received.Add(await receiver.NextAsync());
        }

        foreach (var r in received)
        {
            Assert.True(WebhookSignature.Verify(r.Signature, r.Body, WebhookHarness.Secret, _clock.GetUtcNow(), WebhookSignature.DefaultTolerance));
            Assert.Equal(r.Json.GetProperty("id").GetString(), r.EventId);
            Assert.StartsWith("application/json", r.ContentType);
        }

        var byType = received.ToDictionary(r => r.Json.GetProperty("type").GetString()!, r => r.Json);
        Assert.Equal(
            ["payment.cancelled", "payment.expired", "payment.failed", "payment.paid", "payment.paid_late", "payment.review_required"],
            byType.Keys.Order());

        var p1 = byType["payment.paid"];
        Assert.Equal(paid.Outbox.Single().EventId, p1.GetProperty("id").GetString());
        var data = p1.GetProperty("data");
        Assert.Equal(paid.Id, data.GetProperty("payment_id").GetString());
        Assert.Equal(paid.RequestId, data.GetProperty("request_id").GetString());
        Assert.Equal("till-1", data.GetProperty("terminal_id").GetString());
        Assert.Equal("paid", data.GetProperty("state").GetString());
        Assert.Equal(paid.Version, data.GetProperty("version").GetInt64());
        Assert.Equal("USD", data.GetProperty("amount").GetProperty("currency").GetString());
        Assert.Equal("1.50", data.GetProperty("amount").GetProperty("value").GetString());
        Assert.Equal(paid.Md5, data.GetProperty("md5").GetString());
        Assert.Equal(paid.BillNumber, data.GetProperty("bill_number").GetString());
        Assert.Equal("order-1", data.GetProperty("order_ref").GetString());
        Assert.Equal("2026-03-01T08:00:00.000Z", data.GetProperty("settle_time").GetString());
        Assert.Equal("aa11", data.GetProperty("transaction").GetProperty("hash").GetString());
        Assert.Equal("1.50", data.GetProperty("transaction").GetProperty("amount").GetProperty("value").GetString());

        Assert.Equal("insufficient funds", byType["payment.failed"].GetProperty("data").GetProperty("failure_reason").GetString());
        Assert.Equal(cancelled.Id, byType["payment.cancelled"].GetProperty("data").GetProperty("payment_id").GetString());

        // The expired event describes the payment when it expired, though it is paid late by now.
        var expired = byType["payment.expired"].GetProperty("data");
        Assert.Equal("expired", expired.GetProperty("state").GetString());
        Assert.Equal(late.Outbox[0].Version, expired.GetProperty("version").GetInt64());
        Assert.False(expired.TryGetProperty("transaction", out _));
        var paidLate = byType["payment.paid_late"].GetProperty("data");
        Assert.Equal("paid_late", paidLate.GetProperty("state").GetString());
        Assert.Equal("late1", paidLate.GetProperty("transaction").GetProperty("hash").GetString());

        var flagged = byType["payment.review_required"].GetProperty("data");
        Assert.Equal("pending", flagged.GetProperty("state").GetString());
        Assert.Equal("4400", flagged.GetProperty("amount").GetProperty("value").GetString());
        Assert.Equal(JsonValueKind.Null, flagged.GetProperty("settle_time").ValueKind);
        Assert.Contains("amount", flagged.GetProperty("review").GetProperty("reason").GetString());
        Assert.Equal("short1", flagged.GetProperty("review").GetProperty("transaction").GetProperty("hash").GetString());

        // All marked delivered; a later pass sends nothing again.
        while (!await AllDelivered(failed, paid, cancelled, late, review))
        {
            await host.PassAsync();
        }

        // The pass that delivered the last of them may not have reported yet: ask for one that starts later.
        _clock.Advance(TimeSpan.FromMinutes(5));
        var later = _clock.GetUtcNow();
        host.Signal.Notify();
        var quiet = await host.PassFromAsync(later);
        Assert.Equal((0, 0), (quiet.Delivered, quiet.Failed));
        Assert.True(receiver.NothingMore);
    }

    [Fact]
    public async Task A_pass_says_when_it_read_the_outbox_so_one_still_in_flight_is_not_taken_for_a_later_one()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var store = new HeldAfterDeliveryStore(_store);
        await using var host = new WebhookHarness(store, _clock, receiver.Url);
        await host.StartAsync();
        await host.PassAsync();

        // A pass delivers and marks the entry, then is held before it reports.
        store.Hold();
        var payment = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow()), (p, now) => p.Cancel(now));
        await receiver.NextAsync();
        await store.HeldAsync();
        Assert.True((await host.EntryAsync(payment.Id, payment.Outbox.Single().EventId)).IsDelivered);

        _clock.Advance(TimeSpan.FromMinutes(5));
        var later = _clock.GetUtcNow();
        host.Signal.Notify();
        store.Release();

        // The held pass reports (delivered 1, as of before the move) and is skipped; the next one delivered nothing.
        var quiet = await host.PassFromAsync(later);
        Assert.Equal((0, 0), (quiet.Delivered, quiet.Failed));
        Assert.True(receiver.NothingMore);
    }

    [Fact]
    public async Task A_500_is_retried_after_the_backoff_and_the_2xx_marks_it_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Statuses.Enqueue(500);
        await using var host = new WebhookHarness(_store, _clock, receiver.Url);
        await host.StartAsync();
        await host.PassAsync();

        var payment = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow()), (p, now) => p.Settle(TestPayments.Transaction(), now));
        var eventId = payment.Outbox.Single().EventId;
        var first = await receiver.NextAsync();
        var failedPass = await host.PassAsync(p => p.Failed == 1);

        var entry = await host.EntryAsync(payment.Id, eventId);
        Assert.False(entry.IsDelivered);
        Assert.Equal(1, entry.Attempts);
        Assert.StartsWith("HTTP 500", entry.LastError);
        var now = _clock.GetUtcNow();
        Assert.InRange(entry.NextAttemptTime!.Value, now + TimeSpan.FromSeconds(5), now + TimeSpan.FromSeconds(10));
        Assert.Equal(entry.NextAttemptTime, failedPass.NextPassTime);

        // Not before it is due: a pass just before the retry time sends nothing.
        _clock.Advance(entry.NextAttemptTime.Value - now - TimeSpan.FromMilliseconds(1));
        host.Signal.Notify();
        var early = await host.PassFromAsync(_clock.GetUtcNow());
        Assert.Equal((0, 0), (early.Delivered, early.Failed));
        Assert.True(receiver.NothingMore);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var second = await receiver.NextAsync();
        await host.PassAsync(p => p.Delivered == 1);

        Assert.Equal(eventId, first.EventId);
        Assert.Equal(eventId, second.EventId);
        Assert.Equal(first.Body, second.Body);
        Assert.NotEqual(first.Signature, second.Signature); // signed afresh per attempt
        entry = await host.EntryAsync(payment.Id, eventId);
        Assert.True(entry.IsDelivered);
        Assert.Equal(2, entry.Attempts);
        Assert.Equal(_clock.GetUtcNow(), entry.DeliveredTime);
    }

    [Fact]
    public async Task A_receiver_that_is_down_is_retried_until_it_is_back()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var host = new WebhookHarness(_store, _clock, new Uri($"http://127.0.0.1:{port}/hooks/bakong"));
        await host.StartAsync();
        await host.PassAsync();
        var payment = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow()), (p, now) => p.Fail("declined", now));
        var eventId = payment.Outbox.Single().EventId;

        await host.PassAsync(p => p.Failed == 1);
        var entry = await host.EntryAsync(payment.Id, eventId);
        Assert.Equal(1, entry.Attempts);
        Assert.Contains("ConnectionRefused", entry.LastError);

        // Still down at the second attempt: the backoff doubles.
        _clock.Advance(entry.NextAttemptTime!.Value - _clock.GetUtcNow());
        await host.PassAsync(p => p.Failed == 1);
        entry = await host.EntryAsync(payment.Id, eventId);
        Assert.Equal(2, entry.Attempts);
        Assert.InRange(entry.NextAttemptTime!.Value - _clock.GetUtcNow(), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20));

        await using var receiver = await WebhookReceiver.StartAsync(port);
        _clock.Advance(entry.NextAttemptTime.Value - _clock.GetUtcNow());
        var got = await receiver.NextAsync();
        await host.PassAsync(p => p.Delivered == 1);

        Assert.Equal(eventId, got.EventId);
        Assert.True((await host.EntryAsync(payment.Id, eventId)).IsDelivered);
    }

    [Fact]
    public async Task A_crash_between_the_post_and_the_mark_redelivers_the_same_event_after_restart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        string paymentId;
        string eventId;
        ReceivedWebhook first;
        await using (var host = new WebhookHarness(new CrashBeforeMarkStore(_store), _clock, receiver.Url))
        {
            await host.StartAsync();
            await host.PassAsync();
            var payment = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow()), (p, now) => p.Settle(TestPayments.Transaction(), now));
            (paymentId, eventId) = (payment.Id, payment.Outbox.Single().EventId);
            first = await receiver.NextAsync();
            await host.PassAsync(p => p.Delivered == 1);
        }

        // "Restart": the store is closed and opened again from its file.
        _store.Dispose();
        _store = new LiteDbPaymentStore(_dir.File("bakong.db"));
        Assert.False((await _store.GetAsync(paymentId, Ct))!.Outbox.Single().IsDelivered);

        await using (var host = new WebhookHarness(_store, _clock, receiver.Url))
        {
            await host.StartAsync();
            var again = await receiver.NextAsync();
            await host.PassAsync(p => p.Delivered == 1);

            Assert.Equal(eventId, first.EventId);
            Assert.Equal(eventId, again.EventId);
            Assert.Equal(first.Body, again.Body);
            Assert.True((await host.EntryAsync(paymentId, eventId)).IsDelivered);
        }

        Assert.True(receiver.NothingMore);
    }

    [Fact]
    public async Task Without_a_url_nothing_is_sent_and_entries_wait_until_one_is_configured()
    {
        var logs = new CapturingLoggerProvider();
        string paymentId;
        string eventId;
        await using (var host = new WebhookHarness(_store, _clock, url: null, logs: logs))
        {
            await host.StartAsync();
            await host.Dispatcher.ExecuteTask!.WaitAsync(WebhookHarness.Timeout, Ct);
            var payment = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow()), (p, now) => p.Cancel(now));
            (paymentId, eventId) = (payment.Id, payment.Outbox.Single().EventId);
        }

        Assert.Contains(logs.Entries, e => e.EventId.Id == 2300);
        var waiting = (await _store.GetAsync(paymentId, Ct))!.Outbox.Single();
        Assert.False(waiting.IsDelivered);
        Assert.Equal(0, waiting.Attempts);

        await using var receiver = await WebhookReceiver.StartAsync();
        await using (var host = new WebhookHarness(_store, _clock, receiver.Url))
        {
            await host.StartAsync();
            Assert.Equal(eventId, (await receiver.NextAsync()).EventId);
            await host.PassAsync(p => p.Delivered == 1);
        }
    }

    [Fact]
    public async Task The_secret_and_the_urls_query_never_reach_the_logs()
    {
        var logs = new CapturingLoggerProvider();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Statuses.Enqueue(503);
        var url = new UriBuilder(receiver.Url) { Query = "token=query-credential-xyz" }.Uri;
        await using var host = new WebhookHarness(_store, _clock, url, logs: logs);
        await host.StartAsync();
        await host.PassAsync();
        var payment = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow()), (p, now) => p.Settle(TestPayments.Transaction(), now));
        var first = await receiver.NextAsync();
        var failed = await host.PassAsync(p => p.Failed == 1);
        _clock.Advance(failed.NextPassTime - _clock.GetUtcNow());
        await receiver.NextAsync();
        await host.PassAsync(p => p.Delivered == 1);

        Assert.Contains(logs.Entries, e => e.EventId.Id == 2301);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 2302);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 2303);
        var signature = first.Signature!.Split("v1=")[1];
        Assert.All(logs.Entries, e =>
        {
            Assert.DoesNotContain(WebhookHarness.Secret, e.Text);
            Assert.DoesNotContain("query-credential-xyz", e.Text);
            Assert.DoesNotContain(signature, e.Text);
        });
        Assert.All(logs.Entries.Where(e => e.Category.Contains("Webhook")), e => Assert.InRange(e.EventId.Id, 2300, 2399));
    }

    [Fact]
    public async Task With_max_attempts_a_webhook_is_parked_after_the_last_failure()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Statuses.Enqueue(500);
        receiver.Statuses.Enqueue(500);
        await using var host = new WebhookHarness(_store, _clock, receiver.Url, new() { ["Webhooks:MaxAttempts"] = "2" });
        await host.StartAsync();
        await host.PassAsync();
        var payment = await host.SaveAsync(TestPayments.New(createTime: _clock.GetUtcNow()), (p, now) => p.Cancel(now));
        var eventId = payment.Outbox.Single().EventId;
        var failed = await host.PassAsync(p => p.Failed == 1);
        _clock.Advance(failed.NextPassTime - _clock.GetUtcNow());
        var parked = await host.PassAsync(p => p.Failed == 1);

        var entry = await host.EntryAsync(payment.Id, eventId);
        Assert.Equal(2, entry.Attempts);
        Assert.Equal(DateTimeOffset.MaxValue, entry.NextAttemptTime);
        Assert.StartsWith("gave up after 2 attempts", entry.LastError);
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromSeconds(30), parked.NextPassTime); // only the poll interval
        Assert.Empty(await _store.GetPendingOutboxAsync(_clock.GetUtcNow().AddYears(100), 10, Ct));
    }

    private async Task<bool> AllDelivered(params Payment[] payments)
    {
        foreach (var p in payments)
        {
            if ((await _store.GetAsync(p.Id, Ct))!.Outbox.Any(o => !o.IsDelivered))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Once <see cref="Hold"/> is called, the next pass is held after its deliveries (at its look for the earliest due
    /// entry, which every pass that finds no full batch makes) until <see cref="Release"/>.
    /// </summary>
    private sealed class HeldAfterDeliveryStore(IPaymentStore inner) : DelegatingPaymentStore(inner)
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _holding;

        public void Hold() => _holding = true;

        public Task HeldAsync() => _held.Task.WaitAsync(WebhookHarness.Timeout, Ct);

        public void Release() => _released.TrySetResult();

        // The pass asks when something is next due after it delivered: it is held there.
        public override async Task<DateTimeOffset?> GetNextOutboxDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
        {
            if (_holding)
            {
                _holding = false;
                _held.TrySetResult();
                await _released.Task.WaitAsync(cancellationToken);
            }

            return await base.GetNextOutboxDueAsync(now, cancellationToken);
        }
    }

    /// <summary>The process "dies" after the POST: the delivery mark never reaches the store.</summary>
    private sealed class CrashBeforeMarkStore(IPaymentStore inner) : DelegatingPaymentStore(inner)
    {
        public override Task<bool> MarkOutboxDeliveredAsync(string paymentId, string eventId, DateTimeOffset deliveredTime, CancellationToken cancellationToken) =>
            throw new IOException("simulated crash before the delivery mark");
    }
}
