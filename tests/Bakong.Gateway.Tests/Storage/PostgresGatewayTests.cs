using System.Net;
using System.Text.Json;
using Bakong.Gateway.Tests.Access;
using Bakong.Grpc.Admin.V1;
using Bakong.Grpc.Payments.V1;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Storage;
using Bakong.Testing.Postgres;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
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
    public async Task A_PostgreSQL_gateway_keeps_its_token_clients_and_audits_in_the_database_and_no_LiteDB_file_in_its_data_directory()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var gateway = OnPostgres(ApiKeys.Gateway(), database);
        var key = gateway.AddClient(Bakong.Identity.ClientRole.Operator);
        var admin = new AdminService.AdminServiceClient(gateway.As("Bearer " + key));
        var payments = gateway.PaymentsAs(key);

        var created = await payments.CreatePaymentAsync(Requests.Create("pg-files"), cancellationToken: Ct);
        var clients = await admin.ListClientsAsync(new ListClientsRequest(), cancellationToken: Ct);

        // The poller's first check is a Bakong call; it is audited before the check is saved, so after this wait the
        // flush below has it to write (moving the clock alone did not wait for the check and failed once in CI).
        await gateway.WaitForFirstCheckAsync(created.Payment.PaymentId);
        await gateway.Services.GetRequiredService<CallAudit>().FlushAsync(Ct);
        var calls = await admin.ListBakongCallsAsync(new ListBakongCallsRequest(), cancellationToken: Ct);
        var apiCalls = await admin.ListApiCallsAsync(new ListApiCallsRequest { Action = "CreatePayment" }, cancellationToken: Ct);

        Assert.Single(clients.Clients);
        Assert.NotEmpty(calls.Calls);
        Assert.Equal("OK", Assert.Single(apiCalls.Calls).Outcome);
        var directory = Path.GetDirectoryName(gateway.StoragePath)!;
        Assert.Empty(Directory.GetFiles(directory, "*.db"));
        Assert.False(File.Exists(Path.Combine(directory, BakongDataDirectory.AuditFileName)), "a LiteDB audit file was written");
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        await using var count = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM bakong_tokens WHERE token IS NOT NULL), (SELECT count(*) FROM api_clients), (SELECT count(*) > 0 FROM bakong_calls), (SELECT count(*) > 0 FROM api_calls)", connection);
        await using var reader = await count.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal((1L, 1L, true, true), (reader.GetInt64(0), reader.GetInt64(1), reader.GetBoolean(2), reader.GetBoolean(3)));
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
    public async Task An_every_terminal_watch_on_one_replica_is_shown_the_payments_another_replica_creates_and_settles()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var a = OnPostgres(new GatewayFactory(), database);
        await using var b = OnPostgres(new GatewayFactory(), database);

        using var onB = new Lifecycle.AllPaymentsWatch(new AdminService.AdminServiceClient(b.Channel));
        Assert.Equal(WatchPaymentsResponse.EventOneofCase.CaughtUp, (await onB.NextAsync()).EventCase);
        await b.Logs.WaitForAsync("PostgresListening"); // B hears commits from here on

        var first = await a.CreateAsync(Requests.Create("replica-till-7", terminal: "till-7"));
        var second = await a.CreateAsync(Requests.Create("replica-till-8", terminal: "till-8"));

        // Nothing on B creates or settles them: only A's commits, told through PostgreSQL, reach B's stream. B reads a
        // payment when it hears of it, so the creations are awaited before A settles one: read after the settlement,
        // the second would be shown paid at once.
        Assert.Equal((first.PaymentId, State.Pending), Shown(await onB.NextAsync()));
        Assert.Equal((second.PaymentId, State.Pending), Shown(await onB.NextAsync()));
        await a.WaitForFirstCheckAsync(second.PaymentId);
        await a.PayAsync(second.Khqr);
        a.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        Assert.Equal((second.PaymentId, State.Paid), Shown(await onB.UntilAsync(m => m.Payment?.State == State.Paid)));

        static (string, State) Shown(WatchPaymentsResponse message) => (message.Payment.PaymentId, message.Payment.State);
    }

    [Fact]
    public async Task A_terminal_watch_on_one_replica_is_shown_the_payment_another_replica_creates_for_its_terminal()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        await using var a = OnPostgres(new GatewayFactory(), database);
        await using var b = OnPostgres(new GatewayFactory(), database);

        using var onB = new Lifecycle.TerminalWatch(b.Payments, "till-7");
        Assert.Equal(WatchTerminalResponse.EventOneofCase.CaughtUp, (await onB.NextAsync()).EventCase);
        await b.Logs.WaitForAsync("PostgresListening");

        await a.CreateAsync(Requests.Create("replica-other", terminal: "till-8"));
        var created = await a.CreateAsync(Requests.Create("replica-till-7", terminal: "till-7"));

        var shown = await onB.NextAsync(); // the other terminal's payment is not shown first
        Assert.Equal((created.PaymentId, State.Pending), (shown.Payment.PaymentId, shown.Payment.State));
    }

    [Fact]
    public async Task While_PostgreSQL_is_down_CreatePayment_is_unavailable_and_health_says_why_and_once_it_is_back_both_replicas_recover()
    {
        // A cluster of this test's own: stopping the run's shared one would fail the tests running on it meanwhile.
        await using var own = new PostgresCluster();
        await own.InitializeAsync();
        var database = await own.CreateDatabaseAsync(Ct);
        await using var a = OnPostgres(new GatewayFactory(), database);
        await using var b = OnPostgres(new GatewayFactory(), database);
        var created = await a.CreateAsync(Requests.Create("pg-before-the-restart"));
        await a.WaitForFirstCheckAsync(created.PaymentId);
        using var onB = b.Watch(created.PaymentId);
        Assert.Equal(State.Pending, (await onB.NextAsync()).State);
        using var tillOnB = new Lifecycle.TerminalWatch(b.Payments, "till-1");
        Assert.Equal(created.PaymentId, (await tillOnB.NextAsync()).Payment.PaymentId);
        var cursor = (await tillOnB.NextAsync()).Cursor; // caught up
        await b.Logs.WaitForAsync("PostgresListening");

        await own.StopAsync();
        var e = await Assert.ThrowsAsync<RpcException>(
            () => a.Payments.CreatePaymentAsync(Requests.Create("pg-while-down"), cancellationToken: Ct).ResponseAsync);
        var (notReady, notReadyBody) = await ReadyzAsync(a);
        var report = await a.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == "payment-store", Ct);

        Assert.True(e.StatusCode == StatusCode.Unavailable, e.Status.ToString());
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(("bakong.payments.v1", "STORAGE_UNAVAILABLE"), (info.Domain, info.Reason));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady);
        Assert.Equal("Unhealthy", JsonDocument.Parse(notReadyBody).RootElement.GetProperty("checks").GetProperty("payment-store").GetString());
        var why = report.Entries["payment-store"];
        Assert.Equal(HealthStatus.Unhealthy, why.Status);
        Assert.Contains("The payment store cannot be read: ", why.Description, StringComparison.Ordinal);
        var connection = new NpgsqlConnectionStringBuilder(database);
        Assert.DoesNotContain(connection.Database!, why.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("Username", why.Description, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(a.Logs.Named("HealthCheckEnd"), l => l.Level == LogLevel.Error && l.Message.Contains(why.Description!, StringComparison.Ordinal));
        await b.Logs.WaitForAsync("PostgresListenerLost");

        await own.StartAgainAsync();

        // The pool reconnects by itself: readyz turns 200 (polled, with a bound), then a create goes through.
        await ReadyAgainAsync(a);
        var after = await a.CreateAsync(Requests.Create("pg-after-the-restart"));
        Assert.Equal(State.Pending, after.State);
        Assert.Equal(State.Pending, (await a.GetAsync(created.PaymentId)).State);

        // B's listener waits out its backoff on B's clock, then listens again; the watch made before the stop then
        // sees A's settlement, which only a notification can bring to B.
        await ListeningAgainAsync(b);

        // B never heard of the create A made while it was not listening: its terminal stream ends, and the cursor from
        // before starts over from the current state instead of resuming past that create.
        var ended = await Assert.ThrowsAsync<RpcException>(tillOnB.NextAsync);
        Assert.Equal(StatusCode.Unavailable, ended.StatusCode);
        Assert.Contains("database listener was disconnected", ended.Status.Detail, StringComparison.Ordinal);
        using var tillAgain = new Lifecycle.TerminalWatch(b.Payments, "till-1", cursor);
        var catchUp = new[] { await tillAgain.NextAsync(), await tillAgain.NextAsync(), await tillAgain.NextAsync() };
        Assert.Equal(new[] { created.PaymentId, after.PaymentId }.Order(StringComparer.Ordinal), catchUp[..2].Select(m => m.Payment.PaymentId).Order(StringComparer.Ordinal));
        Assert.False(catchUp[2].CaughtUp.Resumed);

        await a.PayAsync(created.Khqr);
        a.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        Assert.Equal(State.Paid, (await onB.SettledAsync()).State);
        Assert.Equal((created.PaymentId, State.Paid), ((await tillAgain.NextAsync()).Payment.PaymentId, (await b.GetAsync(created.PaymentId)).State));
    }

    /// <summary>Polls readyz until 200: the pool's reconnect has no event to wait for. Bounded by the gateway's timeout.</summary>
    private static async Task ReadyAgainAsync(GatewayFactory gateway)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bound.CancelAfter(GatewayFactory.Timeout);
        while ((await ReadyzAsync(gateway)).Status != HttpStatusCode.OK)
        {
            bound.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }

    /// <summary>
    /// Moves <paramref name="replica"/>'s clock past the listener's first backoff (1 s) until it listens again. The
    /// listener logs its loss just before it starts waiting, so an advance can come before that wait: each try waits
    /// up to a second for the event and advances again; at most 30 tries (30 s of the replica's clock).
    /// </summary>
    private static async Task ListeningAgainAsync(GatewayFactory replica)
    {
        var before = replica.Logs.Named("PostgresListening").Count;
        for (var attempt = 1; ; attempt++)
        {
            replica.Clock.Advance(TimeSpan.FromSeconds(1));
            try
            {
                await replica.Logs.WaitForAsync("PostgresListening", before, TimeSpan.FromSeconds(1));
                return;
            }
            catch (TimeoutException) when (attempt < 30)
            {
            }
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> ReadyzAsync(GatewayFactory gateway)
    {
        using var http = gateway.CreateClient();
        using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
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
        Assert.Contains("key file", e.Status.Detail, StringComparison.Ordinal);
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
