using Bakong.Payments.Storage;
using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Payments.Tests.Storage;

/// <summary>
/// Several gateways on one PostgreSQL database share the polling: the due pick leases each payment to the replica that
/// took it, so no payment is checked by two replicas in one round, and a replica that died (stopped without releasing
/// anything) has its payments taken over once their leases run out.
/// </summary>
public sealed class PostgresDueLeaseTests(PostgresCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_replicas_never_pick_the_same_due_payment_and_one_takes_over_a_dead_ones_after_the_lease()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        // Lists of one: no pick has a partial batch to give up, so only the leases decide (the batches' rule is
        // PostgresPollingRoundTests').
        using var a = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance), dueBatch: 1);
        using var b = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance), dueBatch: 1);
        var all = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 120; i++)
        {
            var payment = TestPayments.New(TestPayments.Start.AddMilliseconds(i * 100), terminalId: "till-" + (i % 3));
            Assert.True((await a.InsertIfAbsentAsync(payment, Ct)).Inserted);
            all.Add(payment.Id);
        }

        var now = TestPayments.Start.AddMinutes(3);

        // One round: both pick at once, each up to 100.
        var round = await Task.WhenAll(a.GetDueAsync(now, 100, Ct), b.GetDueAsync(now, 100, Ct));
        var onA = round[0].Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var onB = round[1].Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(onA.Intersect(onB));

        // Next rounds: each keeps what it holds and what nobody held goes to whoever asks; still never both.
        var next = await Task.WhenAll(a.GetDueAsync(now.AddSeconds(2), 100, Ct), b.GetDueAsync(now.AddSeconds(2), 100, Ct));
        onA.UnionWith(next[0].Select(p => p.Id));
        onB.UnionWith(next[1].Select(p => p.Id));
        onB.UnionWith((await b.GetDueAsync(now.AddSeconds(4), 100, Ct)).Select(p => p.Id));
        Assert.Empty(onA.Intersect(onB));
        Assert.Equal(all, onA.Union(onB).ToHashSet(StringComparer.Ordinal));
        Assert.NotEmpty(onA);

        // A dies holding its leases (nothing released): B does not touch them before the lease ends, then takes them.
        // (A's leases end between now + lease, its first pick, and 2 s later, its second.)
        var beforeEnd = (await b.GetDueAsync(now + a.DueLease - TimeSpan.FromTicks(1), 200, Ct)).Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(beforeEnd.Intersect(onA));
        var afterEnd = (await b.GetDueAsync(now.AddSeconds(2) + a.DueLease, 200, Ct)).Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(all, afterEnd);
    }

    [Fact]
    public async Task A_shorter_configured_lease_hands_a_dead_replicas_payments_over_that_much_sooner()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        var lease = TimeSpan.FromSeconds(3);
        using var a = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance), dueLease: lease);
        using var b = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance), dueLease: lease);
        var payment = TestPayments.New(TestPayments.Start, terminalId: "till-1");
        Assert.True((await a.InsertIfAbsentAsync(payment, Ct)).Inserted);
        var now = TestPayments.Start.AddMinutes(1);

        Assert.Equal([payment.Id], (await a.GetDueAsync(now, 10, Ct)).Select(p => p.Id));

        // A dies holding it: B is refused it until the configured lease (not the 30 s default) has run out.
        Assert.Empty(await b.GetDueAsync(now + lease - TimeSpan.FromTicks(1), 10, Ct));
        Assert.Equal([payment.Id], (await b.GetDueAsync(now + lease, 10, Ct)).Select(p => p.Id));
        Assert.Equal(lease, b.DueLease);
    }
}
