using Bakong.Payments.Polling;
using Bakong.Payments.Storage;
using Bakong.Payments.Writing;
using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Payments.Tests.Polling;

/// <summary>
/// Two pollers on one PostgreSQL database ask Bakong no more often than one would: per round (every payment due once),
/// at most ⌈due / 50⌉ list calls across both, each payment in one of them.
/// </summary>
public sealed class PostgresPollingRoundTests(PostgresCluster cluster) : IDisposable
{
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public async Task Two_pollers_each_holding_part_of_40_due_payments_make_one_list_call_per_round_between_them()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        using var a = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance));
        using var b = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance));
        var bakong = new FakeBakongClient();
        var clock = TestPayments.Clock();
        var onA = Poller(a, bakong, clock);
        var onB = Poller(b, bakong, clock);
        var start = TestPayments.Start;

        // A checks 20 (and keeps them, leased); 20 more come, which B takes first: each holds a partial batch. Before
        // the rule, each then asked Bakong about its own 20, two calls a round where one does.
        var md5s = await InsertAsync(a, 20, start);
        await onA.RunOnceAsync(start, Ct);
        md5s.AddRange(await InsertAsync(a, 20, start));

        var checks = md5s.ToDictionary(m => m, _ => 0, StringComparer.Ordinal);
        var perRound = new List<int>();
        for (var round = 1; round <= 4; round++)
        {
            var now = start + TimeSpan.FromSeconds(2 * round);
            clock.SetUtcNow(now);
            var before = bakong.Calls.Count;
            var (first, second) = round % 2 == 1 ? (onB, onA) : (onA, onB);
            await first.RunOnceAsync(now, Ct);
            await second.RunOnceAsync(now, Ct);
            var calls = bakong.Calls.Skip(before).ToList();
            perRound.Add(calls.Count);
            var asked = calls.SelectMany(c => c).ToList();
            Assert.Equal(asked.Count, asked.Distinct(StringComparer.Ordinal).Count());
            asked.ForEach(m => checks[m]++);
        }

        Assert.Equal([1, 1, 1, 1], perRound);

        // A payment given up is checked by the other replica one round later at most.
        Assert.All(checks.Values, n => Assert.InRange(n, 3, 4));
    }

    private PaymentPoller Poller(IPaymentStore store, FakeBakongClient bakong, TimeProvider clock) => new(
        store,
        new PaymentWriter(store, []),
        bakong,
        new PollerSignal(),
        Microsoft.Extensions.Options.Options.Create(new PaymentPollerOptions()),
        clock,
        new ListLogger<PaymentPoller>(),
        new PollerMetrics(_metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));

    private static async Task<List<string>> InsertAsync(PostgresPaymentStore store, int count, DateTimeOffset at)
    {
        var md5s = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var payment = TestPayments.New(at);
            Assert.True((await store.InsertIfAbsentAsync(payment, Ct)).Inserted);
            md5s.Add(payment.Md5);
        }

        return md5s;
    }
}
