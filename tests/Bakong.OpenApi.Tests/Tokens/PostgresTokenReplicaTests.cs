using System.Threading.Channels;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;

namespace Bakong.OpenApi.Tests.Tokens;

/// <summary>
/// Several gateways on one PostgreSQL database share the Bakong token: one of them renews it at a time (the others
/// take its token), and a token one of them stores reaches the others without a restart.
/// </summary>
public sealed class PostgresTokenReplicaTests(PostgresCluster cluster) : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _directory = new();
    private readonly List<PostgresDatabase> _databases = [];
    private readonly SignallingTimeProvider _time = new(TokenFixture.Start);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (var database in _databases)
        {
            database.Dispose();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task Two_replicas_renewing_at_once_make_one_renew_call_and_both_get_the_new_token()
    {
        var connectionString = await DatabaseAsync();
        var bakong = new FakeRegistrationApi();
        var (_, a) = Replica(connectionString, bakong);
        var (_, b) = Replica(connectionString, bakong);
        var old = a.Set(TestJwt.Create(TokenFixture.Start.AddDays(1), "old"), "ops@example.com");
        Assert.Equal(old.Value, (await b.GetCurrentAsync(Ct))?.Value);
        var answer = new TaskCompletionSource<BakongResult<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        bakong.RenewHandler = _ => answer.Task;

        // A asks Bakong; B, rejected with the same token, must wait for A rather than ask Bakong too.
        var onA = a.RenewAsync(old, Ct).AsTask();
        await bakong.RenewCalls.Reader.ReadAsync(Ct).AsTask().WaitAsync(s_timeout, Ct);
        var onB = b.RenewAsync(old, Ct).AsTask();
        var secondCall = bakong.RenewCalls.Reader.ReadAsync(Ct).AsTask();
        using var stopLooking = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = WaitForAdvisoryLockWaiterAsync(connectionString, stopLooking.Token);
        var first = await Task.WhenAny(waiting, secondCall).WaitAsync(s_timeout, Ct);
        await stopLooking.CancelAsync();
        Assert.Same(waiting, first);

        var renewed = TestJwt.Create(TokenFixture.Start.AddDays(90), "new");
        answer.SetResult(BakongResult<string>.Success(renewed, "Token has been issued"));
        Assert.Equal(renewed, (await onA.WaitAsync(s_timeout, Ct))?.Value);
        Assert.Equal(renewed, (await onB.WaitAsync(s_timeout, Ct))?.Value);
        Assert.Equal(1, bakong.RenewCount);
        Assert.Equal(renewed, (await b.GetCurrentAsync(Ct))?.Value);
    }

    [Fact]
    public async Task A_token_renewed_on_one_replica_reaches_the_other_without_a_restart()
    {
        var connectionString = await DatabaseAsync();
        var bakong = new FakeRegistrationApi();
        var (_, a) = Replica(connectionString, bakong);
        var (storeB, b) = Replica(connectionString, bakong);
        var old = a.Set(TestJwt.Create(TokenFixture.Start.AddDays(1), "old"), "ops@example.com");
        Assert.Equal(old.Value, (await b.GetCurrentAsync(Ct))?.Value);

        // B listens as its gateway does; every time it hears of a change, the test looks at B's token again.
        var heard = Channel.CreateUnbounded<BakongEnvironment>();
        storeB.ChangedElsewhere += e => heard.Writer.TryWrite(e);
        var databaseB = Open(connectionString);
        using var listener = new PostgresChangeListener(
            databaseB, new PostgresPaymentStore(databaseB), hub: null, storeB, clients: null, [], TimeProvider.System, NullLogger<PostgresChangeListener>.Instance);
        await listener.StartAsync(Ct);
        try
        {
            var renewed = bakong.IssueFreshTokens(_time);
            var onA = await a.RenewNowAsync(Ct);
            Assert.Equal(renewed(), onA.Token?.Value);

            // Nothing on B renews, sets or restarts: only A's notification can change what B hands out.
            while ((await b.GetCurrentAsync(Ct))?.Value != renewed())
            {
                await heard.Reader.ReadAsync(Ct).AsTask().WaitAsync(s_timeout, Ct);
            }

            Assert.Equal(1, bakong.RenewCount);
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }
    }

    private async Task<string> DatabaseAsync()
    {
        cluster.SkipIfUnavailable();
        return await cluster.CreateDatabaseAsync(Ct);
    }

    private PostgresDatabase Open(string connectionString)
    {
        var database = PostgresDatabase.Open(connectionString, NullLogger.Instance);
        _databases.Add(database);
        return database;
    }

    /// <summary>One gateway's token store and manager; every replica has the same key file.</summary>
    private (PostgresTokenStore Store, BakongTokenManager Manager) Replica(string connectionString, FakeRegistrationApi bakong)
    {
        var store = new PostgresTokenStore(Open(connectionString), _directory.File("tokens.key"));
        var options = new BakongTokenOptions { Environment = BakongEnvironment.Sit };
        var manager = new BakongTokenManager(
            store, bakong, Microsoft.Extensions.Options.Options.Create(options), _time, new FakeLogger(new FakeLogCollector(), "tokens"));
        return (store, manager);
    }

    /// <summary>Completes once a session waits for an advisory lock (the other replica's renewal), read from pg_locks.</summary>
    private static async Task WaitForAdvisoryLockWaiterAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", connection);
        while ((long)(await command.ExecuteScalarAsync(cancellationToken))! == 0)
        {
        }
    }
}
