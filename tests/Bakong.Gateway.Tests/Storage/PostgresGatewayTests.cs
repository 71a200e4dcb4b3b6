using Bakong.Gateway.Tests.Access;
using Bakong.Grpc.Admin.V1;
using Bakong.Grpc.Payments.V1;
using Bakong.OpenApi.Storage;
using Bakong.Testing.Postgres;
using Grpc.Core;
using Npgsql;

namespace Bakong.Gateway.Tests.Storage;

/// <summary>
/// The gateway with <c>Storage:Provider</c> <c>PostgreSql</c> on a fresh database of the test run's throwaway cluster:
/// the whole path (create, the sandbox customer pays, the poller settles, the watch sees PAID) with the payments in
/// PostgreSQL and no payment file written, and what it refuses (a missing connection string, a file backup).
/// </summary>
public sealed class PostgresGatewayTests(PostgresCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_payment_on_a_PostgreSQL_gateway_is_paid_in_the_sandbox_and_stored_in_the_database()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var gateway = OnPostgres(new GatewayFactory(), database);

        var (created, watch) = await gateway.CreateCheckedAsync(Requests.Create("pg-paid"));
        using var _ = watch;
        await gateway.PayAsync(created.Khqr);
        gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await watch.SettledAsync();

        Assert.Equal(State.Paid, paid.State);
        Assert.Equal(paid, await gateway.GetAsync(created.PaymentId));
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        await using var row = new NpgsqlCommand(
            "SELECT p.state, (SELECT count(*) FROM webhook_outbox o WHERE o.payment_id = p.id) FROM payments p WHERE p.id = @id", connection);
        row.Parameters.AddWithValue("id", created.PaymentId);
        await using var reader = await row.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal(("Paid", 1L), (reader.GetString(0), reader.GetInt64(1)));
        Assert.False(File.Exists(gateway.StoragePath), "a LiteDB payment file was written");
    }

    [Fact]
    public async Task A_PostgreSQL_gateway_keeps_its_token_and_clients_in_the_database_not_in_data_directory_files()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var gateway = OnPostgres(ApiKeys.Gateway(), database);
        var key = gateway.AddClient(Bakong.Identity.ClientRole.Operator);
        var admin = new AdminService.AdminServiceClient(gateway.As("Bearer " + key));
        var payments = gateway.PaymentsAs(key);

        var created = await payments.CreatePaymentAsync(Requests.Create("pg-files"), cancellationToken: Ct);
        await gateway.PayAsync(created.Payment.Khqr);
        var clients = await admin.ListClientsAsync(new ListClientsRequest(), cancellationToken: Ct);

        Assert.Single(clients.Clients);
        var directory = Path.GetDirectoryName(gateway.StoragePath)!;
        Assert.False(File.Exists(Path.Combine(directory, BakongDataDirectory.TokensFileName)), "a LiteDB token file was written");
        Assert.False(File.Exists(Path.Combine(directory, BakongDataDirectory.ClientsFileName)), "a LiteDB client file was written");
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        await using var count = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM bakong_tokens WHERE token IS NOT NULL), (SELECT count(*) FROM api_clients)", connection);
        await using var reader = await count.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal((1L, 1L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    [Fact]
    public async Task A_watch_on_one_replica_sees_the_payment_another_replica_settles_on_the_same_database()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var a = OnPostgres(new GatewayFactory(), database);
        await using var b = OnPostgres(new GatewayFactory(), database);

        var created = await a.CreateAsync(Requests.Create("two-replicas"));
        await a.WaitForFirstCheckAsync(created.PaymentId);
        using var onB = b.Watch(created.PaymentId);
        Assert.Equal(State.Pending, (await onB.NextAsync()).State);
        await a.PayAsync(created.Khqr);
        a.AdvanceAndPoll(TimeSpan.FromSeconds(2));

        // Nothing on B polls or saves it: only A's commit, told through PostgreSQL, can end B's stream.
        var paid = await onB.SettledAsync();
        Assert.Equal(State.Paid, paid.State);
        Assert.Equal(paid, await a.GetAsync(created.PaymentId));
        await onB.EndsAsync();
    }

    [Fact]
    public async Task A_backup_of_a_PostgreSQL_gateway_is_refused_pointing_to_pg_dump()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var gateway = OnPostgres(ApiKeys.Gateway(), database);
        var key = gateway.AddClient(Bakong.Identity.ClientRole.Operator);
        var admin = new AdminService.AdminServiceClient(gateway.As("Bearer " + key));

        using var call = admin.Backup(new BackupRequest(), cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(Ct));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("pg_dump", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSql_without_a_connection_string_fails_the_start_naming_the_key()
    {
        await using var gateway = new GatewayFactory();
        gateway.Settings["Storage:Provider"] = "PostgreSql";

        var e = Assert.ThrowsAny<Exception>(() => gateway.Server);

        Assert.Contains("Storage:ConnectionString is required", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_string_Npgsql_refuses_fails_the_start_without_showing_it()
    {
        await using var gateway = new GatewayFactory();
        gateway.Settings["Storage:Provider"] = "PostgreSql";
        gateway.Settings["Storage:ConnectionString"] = "Host=db;Password=hunter2-secret;Bogus Keyword=1";

        var e = Assert.ThrowsAny<Exception>(() => gateway.Server);

        Assert.Contains("Storage:ConnectionString is not a connection string Npgsql accepts", e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", string.Join("\n", gateway.Logs.Entries), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:10:01")]
    public async Task A_due_lease_out_of_range_fails_the_start_naming_the_key(string lease)
    {
        await using var gateway = new GatewayFactory();
        gateway.Settings["Storage:Provider"] = "PostgreSql";
        gateway.Settings["Storage:ConnectionString"] = "Host=127.0.0.1;Port=1;Database=never_opened";
        gateway.Settings["Storage:DueLease"] = lease;

        var e = Assert.ThrowsAny<Exception>(() => gateway.Server);

        Assert.Contains("Storage:DueLease must be between 1 second and 10 minutes", e.ToString(), StringComparison.Ordinal);
    }

    private GatewayFactory OnPostgres(GatewayFactory gateway, string database)
    {
        cluster.SkipIfUnavailable();
        gateway.Settings["Storage:Provider"] = "PostgreSql";
        gateway.Settings["Storage:ConnectionString"] = database;
        return gateway;
    }
}
