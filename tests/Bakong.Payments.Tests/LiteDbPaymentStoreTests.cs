using Bakong.OpenApi.Storage;
using Bakong.Payments.Storage;

namespace Bakong.Payments.Tests;

/// <summary>What only the LiteDB store has: its file lock and LiteDB's expression cache. The contract is <see cref="Storage.PaymentStoreContract"/>.</summary>
public sealed class LiteDbPaymentStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LiteDbPaymentStore _store;

    public LiteDbPaymentStoreTests() => _store = new LiteDbPaymentStore(_dir.File("bakong.db"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Lookups_by_new_values_do_not_compile_a_new_LiteDB_expression_each()
    {
        // LiteDB 5.0.21 keeps one compiled delegate per distinct expression text, forever. Other tests running in
        // parallel add their few shapes; a value written into the text would add one per lookup here.
        var cache = (System.Collections.ICollection)typeof(LiteDB.BsonExpression)
            .GetField("_cacheScalar", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .GetValue(null)!;
        var payment = await Insert(TestPayments.Start);
        await _store.GetByRequestIdAsync("warm-up", Ct);
        await _store.GetByMd5Async("warm-up", Ct);
        await _store.GetDueAsync(TestPayments.Start, 10, Ct);
        await _store.ListAsync(new PaymentQuery { TerminalId = "warm-up", State = PaymentState.Paid, CreatedFrom = TestPayments.Start, CreatedTo = TestPayments.Start }, Ct);
        await _store.GetPendingOutboxAsync(TestPayments.Start, 10, Ct);
        var before = cache.Count;

        for (var i = 0; i < 200; i++)
        {
            Assert.Null(await _store.GetByRequestIdAsync("request-" + i, Ct));
            Assert.Null(await _store.GetByMd5Async("md5-" + i, Ct));
            await _store.GetDueAsync(TestPayments.Start.AddTicks(i), 10, Ct);
            await _store.ListAsync(
                new PaymentQuery { TerminalId = "till-" + i, CreatedFrom = TestPayments.Start.AddTicks(-i), CreatedTo = TestPayments.Start.AddTicks(i) }, Ct);
            await _store.GetPendingOutboxAsync(TestPayments.Start.AddTicks(i), 10, Ct);
        }

        Assert.Equal(payment.Id, (await _store.GetByRequestIdAsync(payment.RequestId, Ct))?.Id);
        Assert.InRange(cache.Count - before, 0, 50);
    }

    [Fact]
    public async Task A_store_from_before_the_index_keys_were_stored_is_upgraded_when_opened_and_reads_as_before()
    {
        // The indexes as they were: expressions over the document, no stored keys, and the outbox's due time indexed
        // for every payment (null included).
        const string TerminalPrefix = "LPAD(STRING(LENGTH($.terminal_id)), 3, '0') + $.terminal_id";
        var oldIndexes = new Dictionary<string, string>
        {
            ["list_terminal"] = TerminalPrefix + " + $.created_key",
            ["list_state"] = "$.state + '/' + $.created_key",
            ["list_terminal_state"] = TerminalPrefix + " + $.state + '/' + $.created_key",
            ["due_terminal"] = "IIF($.next_check = null, null, " + TerminalPrefix + " + ':' + FORMAT($.next_check, 'D19'))",
            ["exceptions"] = "IIF($.resolution = null AND ($.review != null OR $.state = 'PaidLate'), $.created_key, null)",
            ["transaction_hash"] = "LOWER($.transaction.hash)",
            ["outbox_due"] = "$.outbox_due",
        };
        var path = _dir.File("old.db");
        var payments = Enumerable.Range(0, 5)
            .Select(i => TestPayments.New(TestPayments.Start.AddSeconds(i), terminalId: i % 2 == 0 ? "till-1" : "till-10"))
            .ToList();
        payments[0].Settle(TestPayments.Transaction(hash: "ABC123"), TestPayments.Start.AddMinutes(1));
        payments[1].Cancel(TestPayments.Start.AddMinutes(1));
        payments[1].Settle(TestPayments.Transaction(hash: "late"), TestPayments.Start.AddMinutes(6));
        using (var db = new LiteDB.LiteDatabase(OrdinalFile(path)))
        {
            var collection = db.GetCollection("payments");
            foreach (var payment in payments)
            {
                var doc = PaymentDocument.From(payment.ToSnapshot());
                foreach (var key in new[]
                {
                    PaymentDocument.ListTerminalKey, PaymentDocument.ListStateKey, PaymentDocument.ListTerminalStateKey, PaymentDocument.DueKey,
                    PaymentDocument.ExceptionKeys, PaymentDocument.TransactionHashKeys, PaymentDocument.OutboxDueKeys,
                })
                {
                    doc.Remove(key);
                }

                collection.Insert(doc);
            }

            foreach (var (name, expression) in oldIndexes)
            {
                collection.EnsureIndex(name, LiteDB.BsonExpression.Create(expression), unique: name.StartsWith("list_", StringComparison.Ordinal));
            }
        }

        using (var store = new LiteDbPaymentStore(path))
        {
            var till1 = await store.ListAsync(new PaymentQuery { TerminalId = "till-1" }, Ct);
            var pending = await store.ListAsync(new PaymentQuery { State = PaymentState.Pending, TerminalId = "till-10" }, Ct);
            var due = await store.GetDueAsync(TestPayments.Start.AddHours(1), 10, Ct);
            var exceptions = await store.ListExceptionsAsync(new ExceptionQuery { PageSize = 10 }, Ct);
            var outbox = await store.GetPendingOutboxAsync(TestPayments.Start.AddHours(1), 10, Ct);

            Assert.Equal([payments[4].Id, payments[2].Id, payments[0].Id], till1.Payments.Select(p => p.Id));
            Assert.Equal([payments[3].Id], pending.Payments.Select(p => p.Id));
            Assert.Equal(payments.Where(p => p.NextCheckTime is not null).Select(p => p.Id).Order(), due.Select(p => p.Id).Order());
            Assert.Equal(3, due.Count);
            Assert.Equal(1, (await store.CountPendingAsync("till-10", 10, Ct)).Count);
            Assert.Equal([payments[1].Id], exceptions.Payments.Select(p => p.Id));
            Assert.Equal(payments[0].Id, (await store.FindByTransactionHashAsync("abc123", Ct))?.Id);
            Assert.Equal(
                payments.Take(2).SelectMany(p => p.Outbox.Select(o => o.EventId)).Order(),
                outbox.Select(o => o.Entry.EventId).Order());
        }

        using var reopened = new LiteDB.LiteDatabase(OrdinalFile(path));
        var indexes = reopened.GetCollection("$indexes").Query().ToList()
            .Where(i => oldIndexes.ContainsKey(i["name"].AsString) || i["name"].AsString == "outbox_due_keys")
            .ToDictionary(i => i["name"].AsString, i => i["expression"].AsString);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["list_terminal"] = "$.list_terminal_key",
                ["list_state"] = "$.list_state_key",
                ["list_terminal_state"] = "$.list_terminal_state_key",
                ["due_terminal"] = "$.due_key",
                ["exceptions"] = "$.exception_keys[*]",
                ["transaction_hash"] = "$.transaction_hash_keys[*]",
                ["outbox_due_keys"] = "$.outbox_due_keys[*]",
            },
            indexes);
    }

    [Fact]
    public async Task Only_payments_that_need_a_person_are_paid_or_have_something_to_deliver_have_entries_in_the_sparse_indexes()
    {
        var waiting = TestPayments.New(TestPayments.Start);
        var paid = TestPayments.New(TestPayments.Start.AddSeconds(1));
        await _store.InsertIfAbsentAsync(waiting, Ct);
        await _store.InsertIfAbsentAsync(paid, Ct);
        paid.Settle(TestPayments.Transaction(hash: "Paid-1"), TestPayments.Start.AddMinutes(1));
        await _store.SaveAsync(paid, Ct);
        await _store.MarkOutboxDeliveredAsync(paid.Id, Assert.Single(paid.Outbox).EventId, TestPayments.Start.AddMinutes(2), Ct);

        var entries = _store.CountIndexEntries();

        // A pending payment with nothing to deliver, and a paid one whose delivery is done: one hash between them.
        Assert.Equal(0, entries["exceptions"]);
        Assert.Equal(1, entries["transaction_hash"]);
        Assert.Equal(0, entries["outbox_due_keys"]);
        Assert.Equal(2, entries["list_state"]);
        Assert.Equal(paid.Id, (await _store.FindByTransactionHashAsync("PAID-1", Ct))?.Id);
    }

    [Fact]
    public void The_open_transactions_of_an_engine_are_found_so_a_closed_engines_are_never_finalized()
    {
        // LiteDB 5 keeps them private; the store reads them by reflection to keep their finalizer from ending the
        // process (LiteDB #2828). A LiteDB that moves them fails here, not in production.
        using var engine = new LiteDB.Engine.LiteEngine(new LiteDB.Engine.EngineSettings { DataStream = new MemoryStream(), LogStream = new MemoryStream() });
        using var database = new LiteDB.LiteDatabase(engine);
        Assert.Empty(LiteDbPaymentStore.OpenTransactionsOf(engine));

        Assert.True(database.BeginTrans());
        database.GetCollection("payments").Insert(new LiteDB.BsonDocument { ["_id"] = "p1" });
        var open = LiteDbPaymentStore.OpenTransactionsOf(engine);
        database.Rollback();

        Assert.Equal("TransactionService", Assert.Single(open).GetType().Name);
        Assert.Empty(LiteDbPaymentStore.OpenTransactionsOf(engine));
    }

    // The store's own collation (a data file remembers the one it was made with).
    private static LiteDB.ConnectionString OrdinalFile(string path) => new()
    {
        Filename = path,
        Collation = new LiteDB.Collation(System.Globalization.CultureInfo.InvariantCulture.LCID, System.Globalization.CompareOptions.Ordinal),
    };

    [Fact]
    public void A_second_store_on_the_same_file_fails_clearly()
    {
        var e = Assert.Throws<StoreLockedException>(() => new LiteDbPaymentStore(_dir.File("bakong.db")));
        Assert.StartsWith($"The payment database '{_dir.File("bakong.db")}' is in use by another process", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{_dir.File("bakong.db.lock")}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_data_directory_that_cannot_be_written_is_not_reported_as_in_use()
    {
        // A read-only directory needs a read-only mount (root passes permission checks); a directory that is a file
        // fails the same open of the lock file, for another reason than a lock.
        File.WriteAllText(_dir.File("not-a-directory"), "");
        var database = Path.Combine(_dir.File("not-a-directory"), "bakong.db");

        var e = Assert.ThrowsAny<IOException>(() => StoreLock.Acquire(database, "payment database"));

        Assert.IsNotType<StoreLockedException>(e);
        Assert.StartsWith($"The payment database '{database}' cannot be written: its lock file '{database}.lock' cannot be created", e.Message, StringComparison.Ordinal);
    }

    private async Task<Payment> Insert(DateTimeOffset created, string terminal = "till-1")
    {
        var payment = TestPayments.New(created, terminalId: terminal);
        Assert.True((await _store.InsertIfAbsentAsync(payment, Ct)).Inserted);
        return payment;
    }
}
