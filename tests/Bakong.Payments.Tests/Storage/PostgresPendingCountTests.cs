using Bakong.Payments.Storage;
using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Bakong.Payments.Tests.Storage;

/// <summary>
/// The pending count per terminal that PostgreSQL keeps (migration 0050, <c>terminal_pending</c>): a database from
/// before it is counted when it is upgraded, and changes the store never makes (a DELETE) keep it exact. The count's
/// contract for both stores is <see cref="PaymentStoreContract"/>'s.
/// </summary>
public sealed class PostgresPendingCountTests(PostgresCluster cluster)
{
    private const int KeptCountVersion = 50;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_database_with_pending_payments_from_before_the_kept_count_is_counted_when_it_is_upgraded()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        MigrateBeforeKeptCount(database);
        await using (var connection = await OpenAsync(database))
        {

            // As a gateway before 0050 wrote them: pending on two terminals, and some that left.
            for (var i = 0; i < 40; i++)
            {
                await InsertRowAsync(connection, TestPayments.New(TestPayments.Start.AddSeconds(i), terminalId: "till-" + (i % 2)));
            }

            var paid = TestPayments.New(TestPayments.Start, terminalId: "till-0");
            paid.Settle(TestPayments.Transaction(), TestPayments.Start.AddMinutes(1));
            await InsertRowAsync(connection, paid);
            var cancelled = TestPayments.New(TestPayments.Start, terminalId: "till-2");
            cancelled.Cancel(TestPayments.Start.AddMinutes(1));
            await InsertRowAsync(connection, cancelled);
        }

        using var store = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance));

        Assert.Equal(new PendingCount(20, null), await store.CountPendingAsync("till-0", 100, Ct));
        Assert.Equal(new PendingCount(20, null), await store.CountPendingAsync("till-1", 100, Ct));
        Assert.Equal(new PendingCount(0, null), await store.CountPendingAsync("till-2", 100, Ct));

        // The seeded slots are the ones the triggers use: every payment leaving takes its own +1 off, no slot below 0.
        foreach (var payment in (await store.ListAsync(new PaymentQuery { TerminalId = "till-0", PageSize = 100 }, Ct)).Payments)
        {
            if (payment.State == PaymentState.Pending)
            {
                payment.Expire(TestPayments.Start.AddMinutes(10));
                Assert.Equal(SaveResult.Saved, await store.SaveAsync(payment, Ct));
            }
        }

        Assert.Equal(new PendingCount(0, null), await store.CountPendingAsync("till-0", 100, Ct));
        await AssertKeptCountMatchesPaymentsAsync(database);
    }

    [Fact]
    public async Task Deleting_a_pending_payment_lowers_its_terminals_count_and_deleting_another_does_not()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        using var store = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance));
        var pending = new List<Payment>();
        for (var i = 0; i < 3; i++)
        {
            var payment = TestPayments.New(TestPayments.Start.AddSeconds(i));
            Assert.True((await store.InsertIfAbsentAsync(payment, Ct)).Inserted);
            pending.Add(payment);
        }

        var paid = pending[2];
        paid.Settle(TestPayments.Transaction(), TestPayments.Start.AddMinutes(1));
        Assert.Equal(SaveResult.Saved, await store.SaveAsync(paid, Ct));
        Assert.Equal(2, (await store.CountPendingAsync("till-1", 100, Ct)).Count);

        // The store never deletes a payment: an operator's DELETE (its outbox rows first).
        await using (var connection = await OpenAsync(database))
        {
            foreach (var id in new[] { pending[0].Id, paid.Id })
            {
                await using var delete = new NpgsqlCommand(
                    "DELETE FROM webhook_outbox WHERE payment_id = @id; DELETE FROM payments WHERE id = @id", connection);
                delete.Parameters.AddWithValue("id", id);
                await delete.ExecuteNonQueryAsync(Ct);
            }
        }

        Assert.Equal(new PendingCount(1, null), await store.CountPendingAsync("till-1", 100, Ct));
        await AssertKeptCountMatchesPaymentsAsync(database);
    }

    /// <summary>
    /// The kept rows themselves: per terminal they add up to its pending payments, and no slot is below 0 (a payment's
    /// leave undid its own enter).
    /// </summary>
    private static async Task AssertKeptCountMatchesPaymentsAsync(string database)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new NpgsqlCommand("""
            SELECT coalesce(k.terminal_id, p.terminal_id), coalesce(k.pending, 0), coalesce(p.pending, 0), coalesce(k.lowest, 0)
            FROM (SELECT terminal_id, sum(pending) AS pending, min(pending) AS lowest FROM terminal_pending GROUP BY terminal_id) k
            FULL JOIN (SELECT terminal_id, count(*) AS pending FROM payments WHERE state = 'Pending' GROUP BY terminal_id) p
                ON p.terminal_id = k.terminal_id
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            var terminal = reader.GetString(0);
            Assert.True(reader.GetInt64(1) == reader.GetInt64(2), $"{terminal}: kept {reader.GetInt64(1)}, pending payments {reader.GetInt64(2)}");
            Assert.True(reader.GetInt32(3) >= 0, $"{terminal}: a slot at {reader.GetInt32(3)}");
        }
    }

    /// <summary>
    /// The schema as a gateway before the kept count left it: the migrations before it, applied and recorded by the
    /// store's own runner, so opening the database afterwards applies the kept count's alone.
    /// </summary>
    private static void MigrateBeforeKeptCount(string database)
    {
        Assert.Contains(PostgresDatabase.Migrations, m => m.Version == KeptCountVersion);
        using var dataSource = NpgsqlDataSource.Create(database);
        PostgresDatabase.Migrate(dataSource, NullLogger.Instance, through: KeptCountVersion - 1);
    }

    /// <summary>The payment's row as the store inserts it (its outbox is left out: nothing here reads it).</summary>
    private static async Task InsertRowAsync(NpgsqlConnection connection, Payment payment)
    {
        await using var insert = new NpgsqlCommand(
            "INSERT INTO payments (" + PaymentRow.InsertColumns + ") VALUES (" + PaymentRow.InsertValues + ")", connection);
        PaymentRow.AddParameters(insert.Parameters, payment.ToSnapshot());
        Assert.Equal(1, await insert.ExecuteNonQueryAsync(Ct));
    }

    private static async Task<NpgsqlConnection> OpenAsync(string database)
    {
        var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        return connection;
    }
}
