using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Payments.Tests.Webhooks;

/// <summary>
/// Several gateways on one PostgreSQL database deliver the webhook outbox once between them: a dispatcher's pass claims
/// the entries it takes, another's pass skips them, and a replica that died leaves its claims to run out.
/// </summary>
public sealed class PostgresWebhookClaimTests(PostgresCluster cluster)
{
    private const int Events = 12;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Every event of a pass in flight at once, so one dispatcher holds them all while the other looks; a pass planned
    // only for when something is due (no earlier poll), so the plan shows what the store said.
    private static Dictionary<string, string?> Settings => new()
    {
        ["Webhooks:MaxConcurrency"] = Events.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Webhooks:PollInterval"] = "01:00:00",
    };

    [Fact]
    public async Task Two_dispatchers_on_one_database_deliver_each_event_once()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        using var a = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance));
        using var b = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance));
        await using var receiver = await WebhookReceiver.StartAsync();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Gate = answer.Task;
        var clock = TestPayments.Clock();
        await using var onA = new WebhookHarness(a, clock, receiver.Url, Settings);
        await using var onB = new WebhookHarness(b, clock, receiver.Url, Settings);
        var events = await CancelledPaymentsAsync(onA);

        // A sends every event; the receiver holds them all unanswered, so none is marked yet.
        await onA.StartAsync();
        var received = new List<ReceivedWebhook>();
        for (var i = 0; i < Events; i++)
        {
            received.Add(await receiver.NextAsync());
        }

        // B's pass meanwhile finds every due entry claimed: it sends nothing (before claims, it sent them all again).
        await onB.StartAsync();
        var passOnB = onB.PassAsync();
        var another = receiver.Received.Reader.WaitToReadAsync(Ct).AsTask();
        Assert.Same(passOnB, await Task.WhenAny(passOnB, another).WaitAsync(WebhookHarness.Timeout, Ct));
        Assert.Equal(0, (await passOnB).Delivered);

        answer.SetResult();
        await onA.PassAsync(p => p.Delivered == Events);
        onB.Signal.Notify();
        Assert.Equal(0, (await onB.PassAsync()).Delivered);
        Assert.True(receiver.NothingMore);
        Assert.Equal(events.Order(StringComparer.Ordinal), received.Select(r => r.EventId!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_dead_replicas_claims_run_out_and_another_dispatcher_delivers_them()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        using var dead = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance));
        using var b = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance));
        await using var receiver = await WebhookReceiver.StartAsync();
        var clock = TestPayments.Clock();
        await using var onB = new WebhookHarness(b, clock, receiver.Url, Settings);
        var events = await CancelledPaymentsAsync(onB);

        // A replica claims every entry and dies before sending any.
        var claimedAt = clock.GetUtcNow();
        Assert.Equal(Events, (await dead.GetPendingOutboxAsync(claimedAt, 100, Ct)).Count);

        // B leaves them alone and plans its next pass for when the claims run out.
        await onB.StartAsync();
        var first = await onB.PassAsync();
        Assert.Equal(0, first.Delivered);
        Assert.Equal(claimedAt + PostgresPaymentStore.OutboxClaim, first.NextPassTime);
        Assert.True(receiver.NothingMore);

        clock.Advance(PostgresPaymentStore.OutboxClaim);
        await onB.PassAsync(p => p.Delivered == Events);
        var received = new List<string>();
        for (var i = 0; i < Events; i++)
        {
            received.Add((await receiver.NextAsync()).EventId!);
        }

        Assert.Equal(events.Order(StringComparer.Ordinal), received.Order(StringComparer.Ordinal));
    }

    /// <summary>Cancelled payments saved through <paramref name="host"/>'s store, one outbox event each.</summary>
    private static async Task<List<string>> CancelledPaymentsAsync(WebhookHarness host)
    {
        var events = new List<string>();
        for (var i = 0; i < Events; i++)
        {
            var payment = await host.SaveAsync(TestPayments.New(createTime: host.Clock.GetUtcNow()), (p, now) => p.Cancel(now));
            events.Add(payment.Outbox.Single().EventId);
        }

        return events;
    }
}
