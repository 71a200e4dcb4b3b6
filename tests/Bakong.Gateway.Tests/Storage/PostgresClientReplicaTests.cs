using System.Diagnostics;
using Bakong.Gateway.Tests.Access;
using Bakong.Grpc.Payments.V1;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Bakong.Gateway.Tests.Storage;

/// <summary>
/// API keys on PostgreSQL (<c>Auth:Mode</c> ApiKeys, <c>Storage:Provider</c> PostgreSql): each replica checks keys
/// against its copy of <c>api_clients</c> in memory, never with a query per call, and hears of a client added, revoked
/// or bound on another replica through the database's notifications (and a periodic read as a safety net).
/// </summary>
public sealed class PostgresClientReplicaTests(PostgresCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_key_revoked_on_one_replica_is_refused_on_the_other_once_it_has_handled_the_notification()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var a = OnPostgres(database);
        await using var b = OnPostgres(database);
        var added = a.Clients().Add(new ClientRegistration(ClientRole.Operator, [], "till"));
        var created = await a.PaymentsAs(added.Key).CreatePaymentAsync(Requests.Create("revoked-elsewhere"), cancellationToken: Ct);
        var request = new GetPaymentRequest { PaymentId = created.Payment.PaymentId };
        Assert.Equal(created.Payment.PaymentId, (await b.PaymentsAs(added.Key).GetPaymentAsync(request, cancellationToken: Ct)).Payment.PaymentId);
        await b.Logs.WaitForAsync("PostgresListening");

        a.Clients().Revoke(added.Client.Id);

        // B's clock does not move: only A's notification, handled by B's listener, makes B read the clients again.
        await UntilAsync(Cache(b), c => c.Authenticate(added.Key) is null);
        var refused = await Assert.ThrowsAsync<RpcException>(() => b.PaymentsAs(added.Key).GetPaymentAsync(request, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact]
    public async Task A_key_added_on_one_replica_works_on_the_other_at_once()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var a = OnPostgres(database);
        await using var b = OnPostgres(database);
        var first = a.AddClient(ClientRole.Operator);
        var created = await a.PaymentsAs(first).CreatePaymentAsync(Requests.Create("added-elsewhere"), cancellationToken: Ct);
        var request = new GetPaymentRequest { PaymentId = created.Payment.PaymentId };
        _ = await b.PaymentsAs(first).GetPaymentAsync(request, cancellationToken: Ct);
        await b.Logs.WaitForAsync("PostgresListening");

        // Made on A, used on B straight away: B has either heard of it already or reads the clients once for the
        // unknown id before refusing.
        var second = a.AddClient(ClientRole.Operator);
        var got = await b.PaymentsAs(second).GetPaymentAsync(request, cancellationToken: Ct);

        Assert.Equal(created.Payment.PaymentId, got.Payment.PaymentId);

        // And once B has handled the notification, the key is in B's copy: no read to check it.
        await UntilAsync(Cache(b), c => c.Authenticate(second) is not null);
        var reads = Cache(b).Reads;
        Assert.NotNull(Cache(b).Authenticate(second));
        Assert.Equal(reads, Cache(b).Reads);
    }

    [Fact]
    public async Task A_revocation_whose_notification_was_lost_is_refused_after_the_periodic_read()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var gateway = OnPostgres(database);
        var added = gateway.Clients().Add(new ClientRegistration(ClientRole.Operator, [], null));
        await gateway.Logs.WaitForAsync("PostgresListening");

        // Revoked behind the gateway's back: no notification, as if it was lost.
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync(Ct);
            await using var revoke = new NpgsqlCommand("UPDATE api_clients SET revoked_at = 1 WHERE id = @id", connection);
            revoke.Parameters.AddWithValue("id", added.Client.Id);
            Assert.Equal(1, await revoke.ExecuteNonQueryAsync(Ct));
        }

        var cache = Cache(gateway);
        Assert.NotNull(cache.Authenticate(added.Key));

        // The periodic read runs on the gateway's clock. The loop may be between two reads when the clock moves (its
        // next wait not yet started): each try waits a second for a read, then moves the clock again.
        for (var attempt = 1; cache.Authenticate(added.Key) is not null; attempt++)
        {
            var next = cache.NextReload;
            gateway.Clock.Advance(PostgresClientCache.ReloadInterval);
            try
            {
                await next.WaitAsync(TimeSpan.FromSeconds(1), Ct);
            }
            catch (TimeoutException) when (attempt < 30)
            {
            }
        }

        var refused = await Assert.ThrowsAsync<RpcException>(
            () => gateway.PaymentsAs(added.Key).GetPaymentAsync(new GetPaymentRequest { PaymentId = "p_none" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact]
    public async Task Two_hundred_calls_at_once_on_one_replica_all_succeed_without_a_query_of_the_clients_per_call()
    {
        const int Calls = 200;
        var database = await cluster.CreateDatabaseAsync(Ct);
        using var queries = new ClientQueries(new NpgsqlConnectionStringBuilder(database).Database!);
        await using var gateway = OnPostgres(database);
        var key = gateway.AddClient(ClientRole.Operator);
        var payments = gateway.PaymentsAs(key);
        var created = await payments.CreatePaymentAsync(Requests.Create("many-calls"), cancellationToken: Ct);
        var id = created.Payment.PaymentId;
        Assert.True(queries.Count > 0, "Npgsql's traces of the clients' reads were not seen: the count below would prove nothing");
        var before = queries.Count;

        // Half watch (each held open until every call has had its answer), half get, all at once.
        var watches = new List<AsyncServerStreamingCall<WatchPaymentResponse>>();
        try
        {
            var calls = new List<Task<Payment>>();
            for (var i = 0; i < Calls; i++)
            {
                if (i % 2 == 0)
                {
                    var watch = payments.WatchPayment(new WatchPaymentRequest { PaymentId = id }, cancellationToken: Ct);
                    watches.Add(watch);
                    calls.Add(GatewayFactory.NextAsync(watch));
                }
                else
                {
                    calls.Add(GetAsync(payments, id));
                }
            }

            var answers = await Task.WhenAll(calls).WaitAsync(GatewayFactory.Timeout, Ct);
            Assert.All(answers, p => Assert.Equal(id, p.PaymentId));
        }
        finally
        {
            foreach (var watch in watches)
            {
                watch.Dispose();
            }
        }

        Assert.Equal(0, queries.Count - before);
    }

    private static async Task<Payment> GetAsync(PaymentService.PaymentServiceClient payments, string id) =>
        (await payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = id }, cancellationToken: Ct)).Payment;

    private static PostgresClientCache Cache(GatewayFactory gateway) => gateway.Services.GetRequiredService<PostgresClientCache>();

    /// <summary>Waits, read by read of <paramref name="cache"/>, until <paramref name="done"/> holds; bounded by the gateway's timeout.</summary>
    private static async Task UntilAsync(PostgresClientCache cache, Func<IClientStore, bool> done)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bound.CancelAfter(GatewayFactory.Timeout);
        while (true)
        {
            var next = cache.NextReload;
            if (done(cache))
            {
                return;
            }

            await next.WaitAsync(bound.Token);
        }
    }

    private static GatewayFactory OnPostgres(string database)
    {
        var gateway = ApiKeys.Gateway();
        gateway.Settings["Storage:Provider"] = "PostgreSql";
        gateway.Settings["Storage:ConnectionString"] = database;
        return gateway;
    }

    /// <summary>
    /// Counts the statements on <c>api_clients</c> in one database, from Npgsql's own traces (its <c>Npgsql</c>
    /// activity source, which every command reports to): it sees the gateway's queries whatever code makes them.
    /// </summary>
    private sealed class ClientQueries : IDisposable
    {
        private readonly ActivityListener _listener;
        private int _count;

        public ClientQueries(string database)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.GetTagItem("db.namespace") as string == database
                        && activity.GetTagItem("db.query.text") is string text
                        && text.Contains("api_clients", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref _count);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public int Count => Volatile.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
