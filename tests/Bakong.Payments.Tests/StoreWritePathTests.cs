using Bakong.Payments.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Payments.Tests;

/// <summary>The store's one writer: group commit, durability before the answer, recovery after a full disk, list indexes.</summary>
public sealed class StoreWritePathTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(TestPayments.Start);
    private readonly FaultyFiles _files = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Writes_queued_while_the_writer_is_busy_share_one_commit_and_a_duplicate_request_in_it_gets_the_winner()
    {
        using var store = Open();
        using var hold = new FirstBatchHold(store);

        var first = store.InsertIfAbsentAsync(TestPayments.New(), Ct);
        await hold.Held;
        var a = TestPayments.New(requestId: "same-request");
        var b = TestPayments.New(requestId: "same-request");
        var other = TestPayments.New();
        var queued = new[] { store.InsertIfAbsentAsync(a, Ct), store.InsertIfAbsentAsync(b, Ct), store.InsertIfAbsentAsync(other, Ct) };
        hold.Release();
        await first.WaitAsync(s_timeout, Ct);
        var results = await Task.WhenAll(queued).WaitAsync(s_timeout, Ct);

        Assert.Equal([1, 3], hold.Batches);
        Assert.True(results[0].Inserted);
        Assert.False(results[1].Inserted);
        Assert.Equal(a.Id, results[1].Payment.Id);
        Assert.True(results[2].Inserted);
        Assert.Equal(0, b.PersistedVersion);
        Assert.Equal(a.Id, (await store.GetByRequestIdAsync("same-request", Ct))?.Id);
        Assert.Equal(3, (await store.CountByStateAsync(Ct))[PaymentState.Pending]);
    }

    [Fact]
    public async Task The_pending_cap_is_exact_for_creates_of_one_terminal_in_one_batch_and_counts_a_save_before_them()
    {
        using var store = Open();
        var leaving = TestPayments.New(terminalId: "till-9");
        await store.InsertIfAbsentAsync(leaving, maxPendingForTerminal: 3, Ct);
        leaving.Cancel(TestPayments.Start.AddSeconds(1));
        using var hold = new FirstBatchHold(store);

        var first = store.InsertIfAbsentAsync(TestPayments.New(terminalId: "till-9"), maxPendingForTerminal: 3, Ct);
        await hold.Held;
        var cancel = store.SaveAsync(leaving, Ct);
        var creates = Enumerable.Range(0, 10)
            .Select(_ => store.InsertIfAbsentAsync(TestPayments.New(terminalId: "till-9"), maxPendingForTerminal: 3, Ct))
            .ToList();
        hold.Release();
        await first.WaitAsync(s_timeout, Ct);
        Assert.Equal(SaveResult.Saved, await cancel.WaitAsync(s_timeout, Ct));
        var results = await Task.WhenAll(creates).WaitAsync(s_timeout, Ct);

        // Two pending before the batch, one of them cancelled in it: two of its creates fit under the cap, in order.
        Assert.Equal([1, 11], hold.Batches);
        Assert.Equal([true, true, .. Enumerable.Repeat(false, 8)], results.Select(r => r.Inserted));
        Assert.All(results.Skip(2), r => Assert.Equal(3, r.Refused?.Count));
        Assert.Equal(3, (await store.CountPendingAsync("till-9", 10, Ct)).Count);
        Assert.Equal(3, (await store.ListAsync(new PaymentQuery { TerminalId = "till-9", State = PaymentState.Pending }, Ct)).Payments.Count);
    }

    [Fact]
    public async Task Creates_and_transitions_go_ahead_of_queued_bookkeeping_which_a_batch_takes_only_a_few_of_beside_them()
    {
        using var store = Open();
        var checkedPayments = new List<Payment>();
        for (var i = 0; i < 40; i++)
        {
            var payment = TestPayments.New();
            await store.InsertIfAbsentAsync(payment, Ct);
            payment.RecordCheck(TestPayments.Start.AddSeconds(2), TestPayments.Start.AddSeconds(4));
            checkedPayments.Add(payment);
        }

        // One payment is both checked by the poller and cancelled by a till, the check queued first.
        var contested = TestPayments.New();
        await store.InsertIfAbsentAsync(contested, Ct);
        var check = (await store.GetAsync(contested.Id, Ct))!;
        check.RecordCheck(TestPayments.Start.AddSeconds(2), TestPayments.Start.AddSeconds(4));
        var cancel = (await store.GetAsync(contested.Id, Ct))!;
        cancel.Cancel(TestPayments.Start.AddSeconds(3));
        using var hold = new FirstBatchHold(store);

        var blocker = store.InsertIfAbsentAsync(TestPayments.New(), Ct);
        await hold.Held;
        var checkSave = store.SaveAsync(check, Ct);
        var bookkeeping = checkedPayments.ConvertAll(p => store.SaveAsync(p, Ct));
        var create = store.InsertIfAbsentAsync(TestPayments.New(), Ct);
        var cancelSave = store.SaveAsync(cancel, Ct);
        hold.Release();
        await blocker.WaitAsync(s_timeout, Ct);

        Assert.True((await create.WaitAsync(s_timeout, Ct)).Inserted);
        Assert.Equal(SaveResult.Saved, await cancelSave.WaitAsync(s_timeout, Ct));
        Assert.All(await Task.WhenAll(bookkeeping).WaitAsync(s_timeout, Ct), r => Assert.Equal(SaveResult.Saved, r));

        // The create and the cancel with 16 of the 41 checks, then the other 25 alone.
        Assert.Equal([1, 2 + LiteDbPaymentStore.BookkeepingBesideUrgent, 41 - LiteDbPaymentStore.BookkeepingBesideUrgent], hold.Batches);

        // The cancel went first, so the check saved before it was read finds another version: its writer reads again.
        Assert.Equal(SaveResult.Conflict, await checkSave.WaitAsync(s_timeout, Ct));
        Assert.Equal(PaymentState.Cancelled, (await store.GetAsync(contested.Id, Ct))?.State);
        foreach (var payment in checkedPayments)
        {
            Assert.Equal(1, (await store.GetAsync(payment.Id, Ct))?.CheckCount);
        }
    }

    [Fact]
    public async Task A_version_check_in_a_batch_sees_the_save_before_it()
    {
        using var store = Open();
        var payment = TestPayments.New();
        await store.InsertIfAbsentAsync(payment, Ct);
        var one = (await store.GetAsync(payment.Id, Ct))!;
        var two = (await store.GetAsync(payment.Id, Ct))!;
        one.Cancel(TestPayments.Start.AddSeconds(5));
        two.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(5));
        using var hold = new FirstBatchHold(store);

        var blocker = store.InsertIfAbsentAsync(TestPayments.New(), Ct);
        await hold.Held;
        var saves = new[] { store.SaveAsync(one, Ct), store.SaveAsync(two, Ct) };
        hold.Release();
        await blocker.WaitAsync(s_timeout, Ct);

        Assert.Equal([SaveResult.Saved, SaveResult.Conflict], await Task.WhenAll(saves).WaitAsync(s_timeout, Ct));
        Assert.Equal(PaymentState.Cancelled, (await store.GetAsync(payment.Id, Ct))?.State);
        var counts = await store.CountByStateAsync(Ct);
        Assert.Equal((1, 1, 0), (counts[PaymentState.Pending], counts[PaymentState.Cancelled], counts[PaymentState.Paid]));
    }

    [Fact]
    public async Task The_writer_commits_on_a_thread_of_its_own_not_on_the_thread_pool()
    {
        using var store = Open();
        var writer = new TaskCompletionSource<(bool PoolThread, string? Name)>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BatchStarting = () => writer.TrySetResult((Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name));

        Assert.True((await store.InsertIfAbsentAsync(TestPayments.New(), Ct).WaitAsync(s_timeout, Ct)).Inserted);

        Assert.Equal((false, "Payment store writer"), await writer.Task.WaitAsync(s_timeout, Ct));
    }

    [Fact]
    public async Task A_create_is_answered_only_after_the_log_is_flushed_to_disk()
    {
        using var store = Open();
        var flushing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        _files.BeforeLogFlush = () =>
        {
            flushing.TrySetResult();
            release.Wait(s_timeout, Ct);
        };

        var insert = store.InsertIfAbsentAsync(TestPayments.New(), Ct);
        await flushing.Task.WaitAsync(s_timeout, Ct);
        Assert.False(insert.IsCompleted);
        release.Set();
        Assert.True((await insert.WaitAsync(s_timeout, Ct)).Inserted);
        _files.BeforeLogFlush = null;
    }

    [Fact]
    public async Task After_a_full_disk_writes_fail_reads_go_on_and_writes_resume_by_themselves_when_space_returns()
    {
        var kept = TestPayments.New();
        var lost = TestPayments.New();
        var later = TestPayments.New();
        using (var store = Open())
        {
            await store.InsertIfAbsentAsync(kept, Ct);
            _files.Full = true;

            var failed = await Assert.ThrowsAnyAsync<IOException>(() => store.InsertIfAbsentAsync(lost, Ct));
            Assert.Contains("No space left on device", failed.Message, StringComparison.Ordinal);
            Assert.Contains("No space left on device", store.WriteFault, StringComparison.Ordinal);
            Assert.Equal(kept.Id, (await store.GetAsync(kept.Id, Ct))?.Id);
            Assert.Equal(kept.Id, (await store.GetByMd5Async(kept.Md5, Ct))?.Id);
            await Assert.ThrowsAnyAsync<IOException>(() => store.InsertIfAbsentAsync(lost, Ct));
            Assert.Equal(kept.Id, Assert.Single((await store.ListAsync(new PaymentQuery(), Ct)).Payments).Id);

            _files.Full = false;
            Assert.True((await store.InsertIfAbsentAsync(later, Ct)).Inserted);
            Assert.Null(store.WriteFault);
            kept.Cancel(TestPayments.Start.AddSeconds(1));
            Assert.Equal(SaveResult.Saved, await store.SaveAsync(kept, Ct));
        }

        using var reopened = Open();
        Assert.Equal(PaymentState.Cancelled, (await reopened.GetAsync(kept.Id, Ct))?.State);
        Assert.NotNull(await reopened.GetAsync(later.Id, Ct));
        Assert.Null(await reopened.GetAsync(lost.Id, Ct));
        var counts = await reopened.CountByStateAsync(Ct);
        Assert.Equal((1, 1), (counts[PaymentState.Pending], counts[PaymentState.Cancelled]));
    }

    [Fact]
    public async Task Every_list_filter_is_one_range_of_one_index_read_in_its_order()
    {
        using var store = Open();
        var queries = new[]
        {
            (new PaymentQuery(), "$.created_key"),
            (new PaymentQuery { CreatedFrom = TestPayments.Start, CreatedTo = TestPayments.Start.AddDays(1) }, "$.created_key"),
            (new PaymentQuery { TerminalId = "till-1" }, "list_terminal"),
            (new PaymentQuery { TerminalId = "till-1", CreatedFrom = TestPayments.Start }, "list_terminal"),
            (new PaymentQuery { State = PaymentState.Failed }, "list_state"),
            (new PaymentQuery { State = PaymentState.Failed, CreatedTo = TestPayments.Start }, "list_state"),
            (new PaymentQuery { State = PaymentState.Paid, TerminalId = "till-1" }, "list_terminal_state"),
        };

        foreach (var (query, index) in queries)
        {
            var plan = store.ExplainList(query);
            Assert.True(
                plan["index"]["name"].AsString == index || plan["index"]["expr"].AsString == index,
                "index: " + plan["index"].ToString());
            Assert.StartsWith("INDEX RANGE SCAN", plan["index"]["mode"].AsString, StringComparison.Ordinal);
            Assert.False(plan.ContainsKey("orderBy"), "sorted after reading: " + plan.ToString());
            Assert.False(plan.ContainsKey("filters"), "filtered after reading: " + plan.ToString());
        }
    }

    [Fact]
    public async Task The_state_counts_survive_a_restart_without_counting_the_payments_again()
    {
        var paid = TestPayments.New();
        using (var store = Open())
        {
            await store.InsertIfAbsentAsync(TestPayments.New(), Ct);
            await store.InsertIfAbsentAsync(paid, Ct);
            paid.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(3));
            await store.SaveAsync(paid, Ct);
        }

        using var reopened = Open();
        var counts = await reopened.CountByStateAsync(Ct);
        Assert.Equal((1, 1), (counts[PaymentState.Pending], counts[PaymentState.Paid]));
    }

    private LiteDbPaymentStore Open() => new(_dir.File("bakong.db"), logger: null, _time, _files.Open);

    /// <summary>Holds the store's writer in its first batch until released, so the writes queued meanwhile share the next one.</summary>
    private sealed class FirstBatchHold : IDisposable
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _release = new();
        private int _batches;

        public FirstBatchHold(LiteDbPaymentStore store)
        {
            store.BatchStarting = () =>
            {
                if (Interlocked.Increment(ref _batches) == 1)
                {
                    _held.SetResult();
                    _release.Wait(s_timeout, Ct);
                }
            };
            store.BatchCommitted = Batches.Add;
        }

        /// <summary>The size of each committed batch, in order.</summary>
        public List<int> Batches { get; } = [];

        /// <summary>Completes once the writer is in its first batch.</summary>
        public Task Held => _held.Task.WaitAsync(s_timeout, Ct);

        public void Release() => _release.Set();

        public void Dispose() => _release.Dispose();
    }
}
