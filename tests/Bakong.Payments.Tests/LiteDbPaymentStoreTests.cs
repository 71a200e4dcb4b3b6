using Bakong.Khqr;
using Bakong.OpenApi.Storage;
using Bakong.Payments.Storage;

namespace Bakong.Payments.Tests;

public sealed class LiteDbPaymentStoreTests : IDisposable
{
    private static readonly PaymentEvent[] s_noEvents = [];
    private static readonly OutboxEntry[] s_noOutbox = [];
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
    public async Task Every_field_survives_a_round_trip_through_the_store()
    {
        var payment = TestPayments.New(money: Money.Create(KhqrCurrency.Khr, 4400m));
        await _store.InsertIfAbsentAsync(payment, Ct);
        payment.RecordCheck(TestPayments.Start.AddTicks(1234567), TestPayments.Start.AddSeconds(2));
        payment.Settle(TestPayments.Transaction(amount: 1m), TestPayments.Start.AddSeconds(3)); // review: amount
        payment.Expire(TestPayments.Start.AddMinutes(5).AddTicks(1));
        payment.Settle(TestPayments.Transaction(amount: 4400m, currency: "KHR", hash: "late"), TestPayments.Start.AddMinutes(11));
        Assert.Equal(SaveResult.Saved, await _store.SaveAsync(payment, Ct));

        var read = await _store.GetAsync(payment.Id, Ct);

        Assert.NotNull(read);
        AssertSame(payment.ToSnapshot(), read.ToSnapshot());
        Assert.Equal(read.Version, read.PersistedVersion);
        Assert.Equal(PaymentState.PaidLate, read.State);
    }

    [Fact]
    public async Task A_payment_is_found_by_id_request_id_and_md5()
    {
        var payment = TestPayments.New();
        await _store.InsertIfAbsentAsync(payment, Ct);

        Assert.Equal(payment.Id, (await _store.GetAsync(payment.Id, Ct))?.Id);
        Assert.Equal(payment.Id, (await _store.GetByRequestIdAsync(payment.RequestId, Ct))?.Id);
        Assert.Equal(payment.Id, (await _store.GetByMd5Async(payment.Md5, Ct))?.Id);
        Assert.Null(await _store.GetAsync("nope", Ct));
        Assert.Null(await _store.GetByRequestIdAsync(payment.RequestId.ToUpperInvariant(), Ct));
    }

    [Fact]
    public async Task A_second_insert_with_the_same_request_id_returns_the_stored_payment()
    {
        var first = TestPayments.New(requestId: "r1");
        var second = TestPayments.New(requestId: "r1");
        Assert.True((await _store.InsertIfAbsentAsync(first, Ct)).Inserted);

        var result = await _store.InsertIfAbsentAsync(second, Ct);

        Assert.False(result.Inserted);
        Assert.Equal(first.Id, result.Payment.Id);
        Assert.Null(await _store.GetAsync(second.Id, Ct));
    }

    [Fact]
    public async Task Request_ids_differing_only_in_case_are_different_requests()
    {
        Assert.True((await _store.InsertIfAbsentAsync(TestPayments.New(requestId: "abc"), Ct)).Inserted);
        Assert.True((await _store.InsertIfAbsentAsync(TestPayments.New(requestId: "ABC"), Ct)).Inserted);
    }

    [Fact]
    public async Task Saving_a_stale_version_is_a_conflict_and_changes_nothing()
    {
        var payment = TestPayments.New();
        await _store.InsertIfAbsentAsync(payment, Ct);
        var poller = (await _store.GetAsync(payment.Id, Ct))!;
        var pos = (await _store.GetAsync(payment.Id, Ct))!;

        pos.Cancel(TestPayments.Start.AddSeconds(30));
        Assert.Equal(SaveResult.Saved, await _store.SaveAsync(pos, Ct));
        poller.RecordCheck(TestPayments.Start.AddSeconds(31), TestPayments.Start.AddSeconds(33));

        Assert.Equal(SaveResult.Conflict, await _store.SaveAsync(poller, Ct));
        var stored = (await _store.GetAsync(payment.Id, Ct))!;
        Assert.Equal(PaymentState.Cancelled, stored.State);
        Assert.Equal(0, stored.CheckCount);
    }

    [Fact]
    public async Task Saving_an_unknown_payment_says_not_found()
    {
        var payment = Payment.FromSnapshot(TestPayments.New().ToSnapshot());
        Assert.Equal(SaveResult.NotFound, await _store.SaveAsync(payment, Ct));
    }

    [Fact]
    public async Task Due_payments_come_earliest_first_limited_and_only_when_pending_or_awaiting_reconciliation()
    {
        var now = TestPayments.Start.AddMinutes(20);
        var late = await Insert(TestPayments.Start.AddMinutes(3));
        var early = await Insert(TestPayments.Start.AddMinutes(1));
        var middle = await Insert(TestPayments.Start.AddMinutes(2));
        var future = await Insert(TestPayments.Start.AddMinutes(30));

        var paid = await Insert(TestPayments.Start);
        paid.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(1));
        await _store.SaveAsync(paid, Ct);

        var expired = await Insert(TestPayments.Start.AddSeconds(-30));
        expired.Expire(expired.ExpireTime); // next check at expiry + 5 min: 08:09:30
        await _store.SaveAsync(expired, Ct);

        var due = await _store.GetDueAsync(now, 10, Ct);
        Assert.Equal([early.Id, middle.Id, late.Id, expired.Id], due.Select(p => p.Id));

        var limited = await _store.GetDueAsync(now, 2, Ct);
        Assert.Equal([early.Id, middle.Id], limited.Select(p => p.Id));
        Assert.DoesNotContain(future.Id, due.Select(p => p.Id));
    }

    [Fact]
    public async Task Pending_payments_are_counted_per_terminal_up_to_the_limit_asked_with_the_earliest_expiry()
    {
        for (var i = 0; i < 5; i++)
        {
            await Insert(TestPayments.Start.AddMinutes(i));
        }

        await Insert(TestPayments.Start, terminal: "till-10");
        var cancelled = await Insert(TestPayments.Start.AddMinutes(-1));
        cancelled.Cancel(TestPayments.Start);
        await _store.SaveAsync(cancelled, Ct);

        var all = await _store.CountPendingAsync("till-1", 10, Ct);
        var cut = await _store.CountPendingAsync("till-1", 3, Ct);
        var none = await _store.CountPendingAsync("till-2", 3, Ct);

        // Below the limit nobody waits, so no expiry is read; at the limit, the first to leave.
        Assert.Equal(new PendingCount(5, null), all);
        Assert.Equal(new PendingCount(3, TestPayments.Start.AddMinutes(5)), cut);
        Assert.Equal(new PendingCount(0, null), none);
    }

    [Fact]
    public async Task The_pending_count_of_a_terminal_follows_every_save_and_is_counted_again_when_the_store_is_opened()
    {
        var path = _dir.File("counted.db");
        using (var store = new LiteDbPaymentStore(path))
        {
            var payments = new List<Payment>();
            for (var i = 0; i < 4; i++)
            {
                var payment = TestPayments.New(createTime: TestPayments.Start.AddSeconds(i), terminalId: "till-7");
                await store.InsertIfAbsentAsync(payment, Ct);
                payments.Add(payment);
            }

            payments[0].Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(10));
            payments[1].Cancel(TestPayments.Start.AddSeconds(10));
            await store.SaveAsync(payments[0], Ct);
            await store.SaveAsync(payments[1], Ct);

            Assert.Equal(2, (await store.CountPendingAsync("till-7", 10, Ct)).Count);
        }

        using var reopened = new LiteDbPaymentStore(path);
        Assert.Equal(2, (await reopened.CountPendingAsync("till-7", 10, Ct)).Count);
        Assert.Equal(0, (await reopened.CountPendingAsync("till-1", 10, Ct)).Count);
    }

    [Fact]
    public async Task Listing_pages_newest_first_without_repeats_and_filters()
    {
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            // Two payments per instant: the page key must still be unique.
            var p = await Insert(TestPayments.Start.AddSeconds(i / 2), terminal: i % 2 == 0 ? "till-1" : "till-2");
            ids.Add(p.Id);
        }

        var seen = new List<Payment>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await _store.ListAsync(new PaymentQuery { PageSize = 3, PageToken = token }, Ct);
            seen.AddRange(page.Payments);
            token = page.NextPageToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(7, seen.Select(p => p.Id).Distinct().Count());
        Assert.Equal(seen.OrderByDescending(p => p.CreateTime).Select(p => p.CreateTime), seen.Select(p => p.CreateTime));

        var till2 = await _store.ListAsync(new PaymentQuery { TerminalId = "till-2" }, Ct);
        Assert.Equal(3, till2.Payments.Count);
        Assert.All(till2.Payments, p => Assert.Equal("till-2", p.TerminalId));

        var ranged = await _store.ListAsync(
            new PaymentQuery { CreatedFrom = TestPayments.Start.AddSeconds(1), CreatedTo = TestPayments.Start.AddSeconds(3) }, Ct);
        Assert.Equal(4, ranged.Payments.Count);
        Assert.Null(ranged.NextPageToken);

        var toCancel = (await _store.GetAsync(ids[0], Ct))!;
        toCancel.Cancel(TestPayments.Start.AddMinutes(1));
        await _store.SaveAsync(toCancel, Ct);
        var cancelled = await _store.ListAsync(new PaymentQuery { State = PaymentState.Cancelled }, Ct);
        Assert.Equal(ids[0], Assert.Single(cancelled.Payments).Id);

        await Assert.ThrowsAsync<ArgumentException>(() => _store.ListAsync(new PaymentQuery { PageToken = "garbage!" }, Ct));
    }

    [Fact]
    public async Task Outbox_entries_are_pending_until_delivered_and_a_later_save_does_not_undo_delivery()
    {
        var payment = await Insert(TestPayments.Start);
        payment.Cancel(TestPayments.Start.AddSeconds(10));
        await _store.SaveAsync(payment, Ct);

        var pending = Assert.Single(await _store.GetPendingOutboxAsync(TestPayments.Start.AddSeconds(10), 10, Ct));
        Assert.Equal("payment.cancelled", pending.Entry.Type);
        Assert.Equal(payment.Id, pending.Payment.Id);

        Assert.True(await _store.RecordOutboxFailureAsync(payment.Id, pending.Entry.EventId, TestPayments.Start.AddSeconds(20), "HTTP 500", Ct));
        Assert.Empty(await _store.GetPendingOutboxAsync(TestPayments.Start.AddSeconds(19), 10, Ct));
        var retry = Assert.Single(await _store.GetPendingOutboxAsync(TestPayments.Start.AddSeconds(20), 10, Ct));
        Assert.Equal((1, "HTTP 500"), (retry.Entry.Attempts, retry.Entry.LastError));

        Assert.True(await _store.MarkOutboxDeliveredAsync(payment.Id, pending.Entry.EventId, TestPayments.Start.AddSeconds(21), Ct));
        Assert.Empty(await _store.GetPendingOutboxAsync(TestPayments.Start.AddDays(1), 10, Ct));
        Assert.False(await _store.MarkOutboxDeliveredAsync(payment.Id, "evt_unknown", TestPayments.Start, Ct));

        // The payment object still holds the undelivered entry; saving it (late money) must keep the delivery.
        payment.Settle(TestPayments.Transaction(), TestPayments.Start.AddMinutes(6));
        Assert.Equal(SaveResult.Saved, await _store.SaveAsync(payment, Ct));
        var next = Assert.Single(await _store.GetPendingOutboxAsync(TestPayments.Start.AddDays(1), 10, Ct));
        Assert.Equal("payment.paid_late", next.Entry.Type);
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
        // The list and due indexes as they were: expressions over the document, no stored keys.
        const string TerminalPrefix = "LPAD(STRING(LENGTH($.terminal_id)), 3, '0') + $.terminal_id";
        var oldIndexes = new Dictionary<string, string>
        {
            ["list_terminal"] = TerminalPrefix + " + $.created_key",
            ["list_state"] = "$.state + '/' + $.created_key",
            ["list_terminal_state"] = TerminalPrefix + " + $.state + '/' + $.created_key",
            ["due_terminal"] = "IIF($.next_check = null, null, " + TerminalPrefix + " + ':' + FORMAT($.next_check, 'D19'))",
        };
        var path = _dir.File("old.db");
        var payments = Enumerable.Range(0, 5)
            .Select(i => TestPayments.New(TestPayments.Start.AddSeconds(i), terminalId: i % 2 == 0 ? "till-1" : "till-10"))
            .ToList();
        using (var db = new LiteDB.LiteDatabase(OrdinalFile(path)))
        {
            var collection = db.GetCollection("payments");
            foreach (var payment in payments)
            {
                var doc = PaymentDocument.From(payment.ToSnapshot());
                foreach (var key in new[] { PaymentDocument.ListTerminalKey, PaymentDocument.ListStateKey, PaymentDocument.ListTerminalStateKey, PaymentDocument.DueKey })
                {
                    doc.Remove(key);
                }

                collection.Insert(doc);
            }

            foreach (var (name, expression) in oldIndexes)
            {
                collection.EnsureIndex(name, LiteDB.BsonExpression.Create(expression), unique: name != "due_terminal");
            }
        }

        using (var store = new LiteDbPaymentStore(path))
        {
            var till1 = await store.ListAsync(new PaymentQuery { TerminalId = "till-1" }, Ct);
            var pending = await store.ListAsync(new PaymentQuery { State = PaymentState.Pending, TerminalId = "till-10" }, Ct);
            var due = await store.GetDueAsync(TestPayments.Start.AddHours(1), 10, Ct);

            Assert.Equal([payments[4].Id, payments[2].Id, payments[0].Id], till1.Payments.Select(p => p.Id));
            Assert.Equal([payments[3].Id, payments[1].Id], pending.Payments.Select(p => p.Id));
            Assert.Equal(payments.Select(p => p.Id).Order(), due.Select(p => p.Id).Order());
            Assert.Equal(2, (await store.CountPendingAsync("till-10", 10, Ct)).Count);
        }

        using var reopened = new LiteDB.LiteDatabase(OrdinalFile(path));
        var indexes = reopened.GetCollection("$indexes").Query().ToList()
            .Where(i => oldIndexes.ContainsKey(i["name"].AsString))
            .ToDictionary(i => i["name"].AsString, i => i["expression"].AsString);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["list_terminal"] = "$.list_terminal_key",
                ["list_state"] = "$.list_state_key",
                ["list_terminal_state"] = "$.list_terminal_state_key",
                ["due_terminal"] = "$.due_key",
            },
            indexes);
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

    [Fact]
    public async Task Data_survives_dispose_and_reopen_and_the_lock_is_released()
    {
        var path = _dir.File("reopen.db");
        Payment payment;
        using (var store = new LiteDbPaymentStore(path))
        {
            payment = TestPayments.New();
            await store.InsertIfAbsentAsync(payment, Ct);
            payment.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(4));
            await store.SaveAsync(payment, Ct);
        }

        using var reopened = new LiteDbPaymentStore(path);
        var read = await reopened.GetByMd5Async(payment.Md5, Ct);
        Assert.NotNull(read);
        AssertSame(payment.ToSnapshot(), read.ToSnapshot());
        Assert.Single(await reopened.GetPendingOutboxAsync(TestPayments.Start.AddMinutes(1), 10, Ct));
    }

    private async Task<Payment> Insert(DateTimeOffset created, string terminal = "till-1")
    {
        var payment = TestPayments.New(created, terminalId: terminal);
        Assert.True((await _store.InsertIfAbsentAsync(payment, Ct)).Inserted);
        return payment;
    }

    // Records compare lists by reference; compare their contents.
    private static void AssertSame(PaymentSnapshot expected, PaymentSnapshot actual)
    {
        Assert.Equal(expected.Events, actual.Events);
        Assert.Equal(expected.Outbox, actual.Outbox);
        Assert.Equal(expected.Review, actual.Review);
        Assert.Equal(expected.Transaction, actual.Transaction);
        Assert.Equal(expected with { Events = s_noEvents, Outbox = s_noOutbox }, actual with { Events = s_noEvents, Outbox = s_noOutbox });
    }
}
