using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Bakong.Gateway.Tests.Support;
using Bakong.Grpc.Payments.V1;
using Bakong.Payments.Webhooks;
using Bakong.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace Bakong.Gateway.Tests.Webhooks;

/// <summary>
/// Webhooks end to end: payment outcomes reached through gRPC, the poller and the sandbox are POSTed by the real
/// dispatcher (the gateway's <c>Bakong.Webhooks</c> HttpClient routed to a receiver the test controls), signed as
/// docs/webhooks.md says, retried with backoff on the fake clock, each event id always with the same body.
/// </summary>
public sealed class WebhookDeliveryTests : GatewayTest
{
    private static readonly TimeSpan s_backoffBase = TimeSpan.FromSeconds(5);

    public WebhookDeliveryTests()
    {
        Gateway.EnableWebhooks();

        // An attempt may take as long as the largest clock step a test makes, so moving the clock never times one out.
        Gateway.Settings["Webhooks:Timeout"] = "00:05:00";
    }

    [Fact]
    public async Task A_paid_payment_is_posted_once_signed_with_hmac_sha256_over_the_timestamp_and_raw_body()
    {
        var paid = await Gateway.CreatePaidAsync("hook-paid");

        var received = await Gateway.Webhooks.NextAsync();
        await DeliveredAsync(paid.PaymentId);

        Assert.Equal(HttpMethod.Post, received.Method);
        Assert.Equal(new Uri(WebhookReceiver.Url), received.Url);
        Assert.Equal("application/json; charset=utf-8", received.ContentType);
        Assert.StartsWith("evt_", received.Id, StringComparison.Ordinal);
        Assert.Equal(received.Id, received.EventIdHeader);
        Assert.Equal(("payment.paid", "paid", paid.Version), (received.Type, received.State, received.Version));
        Assert.Equal((paid.PaymentId, paid.Md5, paid.BillNumber), (received.PaymentId, Text(received.Data, "md5"), Text(received.Data, "bill_number")));
        Assert.Equal(("KHR", "5000"), (Text(received.Data.GetProperty("amount"), "currency"), Text(received.Data.GetProperty("amount"), "value")));
        Assert.Equal(paid.BakongTransaction.Hash, Text(received.Data.GetProperty("transaction"), "hash"));
        AssertSigned(received);
        Assert.False(WebhookSignature.Verify(received.Signature, received.Body, "another-secret-of-at-least-32-chars!", received.ReceivedAt, WebhookSignature.DefaultTolerance));
        var tampered = received.Body.ToArray();
        tampered[^2] ^= 1;
        Assert.False(WebhookSignature.Verify(received.Signature, tampered, WebhookReceiver.Secret, received.ReceivedAt, WebhookSignature.DefaultTolerance));
        Assert.Single(Gateway.Webhooks.All);
    }

    [Fact]
    public async Task Every_outcome_of_every_payment_is_delivered_once_with_its_own_event_id_type_and_version()
    {
        var cancelled = await Gateway.CreateAsync(Requests.Create("hook-cancel"));
        var failed = await Gateway.CreateAsync(Requests.Create("hook-fail"));
        var paid = await Gateway.CreateAsync(Requests.Create("hook-pay"));
        var mismatched = await Gateway.CreateAsync(Requests.Create("hook-mismatch"));
        var late = await Gateway.CreateAsync(Requests.Create("hook-late"));
        string[] all = [cancelled.PaymentId, failed.PaymentId, paid.PaymentId, mismatched.PaymentId, late.PaymentId];
        foreach (var id in all)
        {
            await Gateway.Store.SavedAsync(id, p => p.CheckCount == 1);
        }

        await Gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = cancelled.PaymentId }, cancellationToken: Ct);
        await Gateway.FailAsync(failed.Khqr);
        await Gateway.PayAsync(paid.Khqr);
        await Gateway.PayAsync(new SandboxPayRequest { Qr = mismatched.Khqr, Amount = 4000 });
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        await Gateway.Store.SavedAsync(failed.PaymentId, p => p.State == PaymentState.Failed);
        await Gateway.Store.SavedAsync(paid.PaymentId, p => p.State == PaymentState.Paid);
        await Gateway.Store.SavedAsync(mismatched.PaymentId, p => p.Review is not null);
        await Gateway.Store.SavedAsync(late.PaymentId, p => p.CheckCount == 2);
        await DeliveredAsync(all);

        // Expiry: the check at expiry, the cancelled payment's first reconciliation, then the final check after the grace.
        var expiry = late.ExpireTime.ToDateTimeOffset();
        Gateway.AdvanceAndPollTo(expiry);
        await Gateway.Store.SavedAsync(mismatched.PaymentId, p => p.LastCheckTime == expiry);
        await Gateway.Store.SavedAsync(late.PaymentId, p => p.LastCheckTime == expiry);
        await Gateway.Store.SavedAsync(cancelled.PaymentId, p => p.ReconciliationCount == 1);
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(5));
        await Gateway.Store.SavedAsync(mismatched.PaymentId, p => p.State == PaymentState.Expired);
        var expired = await Gateway.Store.SavedAsync(late.PaymentId, p => p.State == PaymentState.Expired);
        await DeliveredAsync(all);

        await Gateway.PayAsync(new SandboxPayRequest { Qr = late.Khqr, Force = true });
        Gateway.AdvanceAndPollTo(expired.SettleTime!.Value.AddMinutes(5));
        await Gateway.Store.SavedAsync(late.PaymentId, p => p.State == PaymentState.PaidLate);
        await Gateway.Store.SavedAsync(mismatched.PaymentId, p => p.ReconciliationCount == 1);
        await DeliveredAsync(all);

        var outbox = new List<(string PaymentId, Bakong.Payments.OutboxEntry Entry)>();
        foreach (var id in all)
        {
            outbox.AddRange((await Gateway.Store.GetAsync(id, Ct))!.Outbox.Select(o => (id, o)));
        }

        Assert.Equal(
            ["payment.cancelled", "payment.failed", "payment.paid", "payment.review_required", "payment.expired", "payment.expired", "payment.paid_late"],
            outbox.Select(o => o.Entry.Type));
        var received = Gateway.Webhooks.All;
        Assert.Equal(outbox.Count, received.Count);
        Assert.Equal(outbox.Count, received.Select(r => r.Id).Distinct().Count());
        foreach (var (paymentId, entry) in outbox)
        {
            var post = Assert.Single(received, r => r.Id == entry.EventId);
            Assert.Equal((paymentId, entry.Type, entry.Version), (post.PaymentId, post.Type, post.Version));
            AssertSigned(post);
        }

        var review = Assert.Single(received, r => r.Type == "payment.review_required");
        Assert.Equal("pending", review.State);
        Assert.StartsWith("amount 4000 KHR", Text(review.Data.GetProperty("review"), "reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receiver_failing_twice_gets_the_same_event_again_after_each_backoff_and_it_is_delivered_on_the_third_attempt()
    {
        var answers = new Queue<HttpStatusCode>([HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError]);
        Gateway.Webhooks.Respond = _ => answers.TryDequeue(out var status) ? status : HttpStatusCode.NoContent;
        var paid = await Gateway.CreatePaidAsync("hook-retry");

        var first = await Gateway.Webhooks.NextAsync();
        var firstFailure = await Gateway.Store.WaitForAsync(w => w.Kind == StoreWriteKind.OutboxFailed && w.EventId == first.Id);
        AssertBackoff(first.ReceivedAt, firstFailure.NextAttemptTime!.Value, failures: 1);

        Gateway.Clock.Advance(firstFailure.NextAttemptTime.Value - Gateway.Clock.GetUtcNow());
        WakeDispatcher();
        var second = await Gateway.Webhooks.NextAsync();
        var secondFailure = await Gateway.Store.WaitForAsync(
            w => w.Kind == StoreWriteKind.OutboxFailed && w.EventId == first.Id && w.NextAttemptTime > firstFailure.NextAttemptTime);
        AssertBackoff(second.ReceivedAt, secondFailure.NextAttemptTime!.Value, failures: 2);

        Gateway.Clock.Advance(secondFailure.NextAttemptTime.Value - Gateway.Clock.GetUtcNow());
        WakeDispatcher();
        var third = await Gateway.Webhooks.NextAsync();
        await DeliveredAsync(paid.PaymentId);

        Assert.Equal(firstFailure.NextAttemptTime, second.ReceivedAt);
        Assert.Equal(secondFailure.NextAttemptTime, third.ReceivedAt);
        Assert.All(new[] { second, third }, r =>
        {
            Assert.Equal((first.Id, first.EventIdHeader), (r.Id, r.EventIdHeader));
            Assert.Equal(first.Body, r.Body);
            AssertSigned(r);
        });
        Assert.Equal(3, new[] { first.Signature, second.Signature, third.Signature }.Distinct().Count());
        var entry = Assert.Single((await Gateway.Store.GetAsync(paid.PaymentId, Ct))!.Outbox);
        Assert.Equal((3, third.ReceivedAt), (entry.Attempts, entry.DeliveredTime));
        Assert.Equal("HTTP 500 Internal Server Error", entry.LastError);
        Assert.Equal(3, Gateway.Webhooks.All.Count);
    }

    [Fact]
    public async Task An_expired_event_resent_after_the_payment_was_paid_late_still_says_expired_and_no_event_id_ever_carries_two_outcomes()
    {
        var failExpired = true;
        Gateway.Webhooks.Respond = r => failExpired && r.Type == "payment.expired" ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK;
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create("hook-expired-late"));
        Payment expiredPayment;
        using (watch)
        {
            var expiry = created.ExpireTime.ToDateTimeOffset();
            Gateway.AdvanceAndPollTo(expiry);
            await Gateway.Store.SavedAsync(created.PaymentId, p => p.LastCheckTime == expiry);
            Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(5));
            expiredPayment = await watch.SettledAsync();
            Assert.Equal(State.Expired, expiredPayment.State);
        }

        var refused = await Gateway.Webhooks.NextAsync();
        await Gateway.Store.WaitForAsync(w => w.Kind == StoreWriteKind.OutboxFailed && w.EventId == refused.Id);
        await Gateway.PayAsync(new SandboxPayRequest { Qr = created.Khqr, Force = true });
        Gateway.AdvanceAndPoll(TimeSpan.FromMinutes(5));
        var paidLate = await Gateway.Store.SavedAsync(created.PaymentId, p => p.State == PaymentState.PaidLate);
        failExpired = false;
        await DeliverAllAsync(created.PaymentId);

        var received = Gateway.Webhooks.All;
        Assert.All(received.GroupBy(r => r.Id), attempts =>
        {
            Assert.Single(attempts.Select(r => Convert.ToBase64String(r.Body)).Distinct());
            attempts.ToList().ForEach(AssertSigned);
        });
        var expired = received.Where(r => r.Type == "payment.expired").ToList();
        Assert.True(expired.Count >= 2, "the expired event was refused, then sent again");
        Assert.All(expired, r => Assert.Equal(("expired", paidLate.Version - 1), (r.State, r.Version)));
        Assert.All(expired, r => Assert.False(r.Data.TryGetProperty("transaction", out _)));
        Assert.All(expired, r => Assert.Equal(expiredPayment.SettleTime.ToDateTimeOffset(), DateTimeOffset.Parse(Text(r.Data, "settle_time")!, CultureInfo.InvariantCulture)));
        var late = Assert.Single(received, r => r.Type == "payment.paid_late");
        Assert.Equal(("paid_late", paidLate.Version), (late.State, late.Version));
        Assert.NotEqual(refused.Id, late.Id);
    }

    private static void AssertSigned(ReceivedWebhook received)
    {
        Assert.True(WebhookSignature.Verify(received.Signature, received.Body, WebhookReceiver.Secret, received.ReceivedAt, WebhookSignature.DefaultTolerance));

        // And as docs/webhooks.md tells a receiver in any language: t=<unix seconds>,v1=hex(HMAC-SHA256(secret, "<t>.<body>")).
        var parts = received.Signature!.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        // t is when the gateway signed, which is at or before the receipt on the test's clock: the test may advance the
        // clock while a delivery is in flight.
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts["t"], CultureInfo.InvariantCulture));
        Assert.InRange(signedAt, received.ReceivedAt - WebhookSignature.DefaultTolerance, received.ReceivedAt);
        var signed = Encoding.UTF8.GetBytes(parts["t"] + ".").Concat(received.Body).ToArray();
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookReceiver.Secret), signed)), parts["v1"]);
    }

    /// <summary>Equal jitter: after failure n the delay is in [c/2, c], c = base · 2^(n-1).</summary>
    private static void AssertBackoff(DateTimeOffset failedAt, DateTimeOffset nextAttempt, int failures)
    {
        var ceiling = s_backoffBase * Math.Pow(2, failures - 1);
        var delay = nextAttempt - failedAt;
        Assert.InRange(delay, ceiling / 2, ceiling);
    }

    private static string? Text(System.Text.Json.JsonElement element, string name) => element.GetProperty(name).GetString();

    private void WakeDispatcher() => Gateway.Services.GetRequiredService<IWebhookSignal>().Notify();

    /// <summary>Moves the clock to each next attempt and wakes the dispatcher until every entry of the payment is delivered.</summary>
    private async Task DeliverAllAsync(string paymentId)
    {
        while (true)
        {
            var seen = Gateway.Store.Writes.Count;
            var undelivered = (await Gateway.Store.GetAsync(paymentId, Ct))!.Outbox.Where(o => !o.IsDelivered).ToList();
            if (undelivered.Count == 0)
            {
                return;
            }

            Gateway.AdvanceAndPollTo(undelivered.Min(o => o.DueTime!.Value));
            WakeDispatcher();
            await Gateway.Store.WaitForAsync(
                w => w.PaymentId == paymentId && w.Kind is StoreWriteKind.OutboxDelivered or StoreWriteKind.OutboxFailed, seen);
        }
    }

    /// <summary>Waits until every outbox entry the payments have now is marked delivered.</summary>
    private async Task DeliveredAsync(params string[] paymentIds)
    {
        foreach (var id in paymentIds)
        {
            foreach (var entry in (await Gateway.Store.GetAsync(id, Ct))!.Outbox)
            {
                await Gateway.Store.WaitForAsync(w => w.Kind == StoreWriteKind.OutboxDelivered && w.EventId == entry.EventId);
            }
        }
    }
}
