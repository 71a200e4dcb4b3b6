using System.Threading.Channels;
using Bakong.Payments.Storage;
using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Bakong.Payments.Tests.Storage;

/// <summary>
/// PostgreSQL's insert is one batch in one implicit transaction (the payment, its outbox rows, its change
/// notification): what it writes beside the payment is there only when it made the payment, and nothing of it stays
/// when it fails. Idempotency under concurrent duplicates is the contract's (<see cref="PaymentStoreContract"/>).
/// </summary>
public sealed class PostgresInsertTests(PostgresCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_insert_commits_its_outbox_rows_and_notification_with_it_and_a_replay_of_its_request_id_writes_and_sends_neither()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        using var store = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance));
        await using var listener = await NotificationListener.StartAsync(database);
        var payment = TestPayments.New(requestId: "order-7");
        payment.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(30));
        Assert.NotEmpty(payment.Outbox);

        Assert.True((await store.InsertIfAbsentAsync(payment, Ct)).Inserted);
        Assert.Contains(payment.Id, await listener.NextAsync());
        Assert.Equal(payment.Outbox.Count, await OutboxRowsAsync(database, payment.Id));

        var replay = TestPayments.New(requestId: "order-7");
        replay.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(30));
        var replayed = await store.InsertIfAbsentAsync(replay, Ct);
        var sentinel = TestPayments.New(requestId: "order-8");
        Assert.True((await store.InsertIfAbsentAsync(sentinel, Ct)).Inserted);

        Assert.False(replayed.Inserted);
        Assert.Equal(payment.Id, replayed.Payment.Id);

        // Notifications arrive in commit order: the sentinel's comes right after the first insert's.
        Assert.Contains(sentinel.Id, await listener.NextAsync());
        Assert.Equal(0, await OutboxRowsAsync(database, replay.Id));
    }

    [Fact]
    public async Task An_insert_whose_md5_is_taken_fails_whole_leaving_no_outbox_row_and_sending_no_notification()
    {
        var database = await cluster.CreateDatabaseAsync(Ct);
        using var store = new PostgresPaymentStore(PostgresDatabase.Open(database, NullLogger.Instance));
        await using var listener = await NotificationListener.StartAsync(database);
        var first = TestPayments.New(requestId: "order-1");
        Assert.True((await store.InsertIfAbsentAsync(first, Ct)).Inserted);
        Assert.Contains(first.Id, await listener.NextAsync());

        var sameMd5 = Payment.Create(
            PaymentIds.NewPaymentId(), "order-2", first.ParametersHash, first.Parameters, first.BillNumber, first.ReceivingAccount,
            first.Qr, first.Md5, first.CreateTime, first.ExpireTime);
        sameMd5.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(30));
        await Assert.ThrowsAsync<PostgresException>(() => store.InsertIfAbsentAsync(sameMd5, Ct));
        var sentinel = TestPayments.New(requestId: "order-3");
        Assert.True((await store.InsertIfAbsentAsync(sentinel, Ct)).Inserted);

        Assert.Null(await store.GetAsync(sameMd5.Id, Ct));
        Assert.Equal(0, await OutboxRowsAsync(database, sameMd5.Id));
        Assert.Contains(sentinel.Id, await listener.NextAsync());
    }

    private static async Task<long> OutboxRowsAsync(string database, string paymentId)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM webhook_outbox WHERE payment_id = @id", connection);
        count.Parameters.AddWithValue("id", paymentId);
        return (long)(await count.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>A connection that <c>LISTEN</c>s on the payments' change channel and hands over each payload in order.</summary>
    private sealed class NotificationListener : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly Channel<string> _payloads = Channel.CreateUnbounded<string>();
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        private NotificationListener(NpgsqlConnection connection)
        {
            _connection = connection;
            _connection.Notification += (_, e) => _payloads.Writer.TryWrite(e.Payload);
        }

        public static async Task<NotificationListener> StartAsync(string database)
        {
            var connection = new NpgsqlConnection(database);
            await connection.OpenAsync(Ct);
            await using (var listen = new NpgsqlCommand("LISTEN " + PostgresChangeListener.Channel, connection))
            {
                await listen.ExecuteNonQueryAsync(Ct);
            }

            var listener = new NotificationListener(connection);
            listener._loop = listener.RunAsync();
            return listener;
        }

        public async Task<string> NextAsync() =>
            await _payloads.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            await _connection.DisposeAsync();
            _stop.Dispose();
        }

        private async Task RunAsync()
        {
            try
            {
                while (true)
                {
                    await _connection.WaitAsync(_stop.Token);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }
    }
}
