using Bakong.Khqr;
using Bakong.Payments.Storage;

namespace Bakong.Payments.Tests.Storage;

/// <summary>
/// What every <see cref="IPaymentStore"/> promises, asserted once and run against each store: LiteDB
/// (<see cref="LiteDbPaymentStoreContractTests"/>) and PostgreSQL (<see cref="PostgresPaymentStoreContractTests"/>).
/// A store's own mechanics (LiteDB's writer, file lock, expression cache; the SQL plans) are tested beside it.
/// </summary>
public abstract class PaymentStoreContract : IAsyncLifetime
{
    private static readonly PaymentEvent[] s_noEvents = [];
    private static readonly OutboxEntry[] s_noOutbox = [];

    protected IPaymentStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => Store = await OpenAsync();

    public virtual ValueTask DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Opens the store on this test's database (the same one each time it is called).</summary>
    protected abstract Task<IPaymentStore> OpenAsync();

    /// <summary>From now on every commit fails (true) or none does (false), after the store wrote its changes.</summary>
    protected abstract Task FailCommitsAsync(bool fail);

    [Fact]
    public async Task Every_field_survives_a_round_trip_through_the_store()
    {
        var payment = TestPayments.New(money: Money.Create(KhqrCurrency.Khr, 4400m));
        await Store.InsertIfAbsentAsync(payment, Ct);
        payment.RecordCheck(TestPayments.Start.AddTicks(1234567), TestPayments.Start.AddSeconds(2));
        payment.Settle(TestPayments.Transaction(amount: 1m), TestPayments.Start.AddSeconds(3)); // review: amount
        payment.Expire(TestPayments.Start.AddMinutes(5).AddTicks(1));
        payment.Settle(TestPayments.Transaction(amount: 4400m, currency: "KHR", hash: "late"), TestPayments.Start.AddMinutes(11));
        Assert.Equal(SaveResult.Saved, await Store.SaveAsync(payment, Ct));

        var read = await Store.GetAsync(payment.Id, Ct);

        Assert.NotNull(read);
        AssertSame(payment.ToSnapshot(), read.ToSnapshot());
        Assert.Equal(read.Version, read.PersistedVersion);
        Assert.Equal(PaymentState.PaidLate, read.State);
    }

    [Fact]
    public async Task A_payment_keeps_its_merchant_profile_purpose_and_the_POS_bill_number()
    {
        var payment = TestPayments.New(merchantProfileId: "stall-2", purpose: "Rice 5 kg", posBillNumber: "INV-0042");
        await Store.InsertIfAbsentAsync(payment, Ct);

        var read = await Store.GetAsync(payment.Id, Ct);

        Assert.NotNull(read);
        AssertSame(payment.ToSnapshot(), read.ToSnapshot());
        Assert.Equal("stall-2", read.MerchantProfileId);
        Assert.Equal(("Rice 5 kg", "INV-0042"), (read.Parameters.PurposeOfTransaction, read.Parameters.BillNumber));
    }

    [Fact]
    public async Task The_queue_holds_reviewed_and_paid_late_payments_not_yet_resolved_oldest_first_a_page_at_a_time()
    {
        var pending = await InsertExceptionAsync(TestPayments.New(TestPayments.Start));
        var paid = await InsertExceptionAsync(TestPayments.New(TestPayments.Start.AddSeconds(1)));
        paid.Settle(TestPayments.Transaction(), TestPayments.Start.AddMinutes(1));
        var late = await InsertExceptionAsync(TestPayments.New(TestPayments.Start.AddSeconds(2)));
        PayLateForQueue(late);
        var reviewed = await InsertExceptionAsync(TestPayments.New(TestPayments.Start.AddSeconds(3)));
        reviewed.Settle(TestPayments.Transaction(amount: 1m), TestPayments.Start.AddMinutes(1));
        reviewed.Cancel(TestPayments.Start.AddMinutes(2));
        var resolved = await InsertExceptionAsync(TestPayments.New(TestPayments.Start.AddSeconds(4)));
        PayLateForQueue(resolved);
        Assert.True(resolved.Resolve(new PaymentResolution(ResolutionKind.Accepted, null, "op1", default, null), TestPayments.Start.AddHours(1)).IsApplied);
        var pendingReview = await InsertExceptionAsync(TestPayments.New(TestPayments.Start.AddSeconds(5)));
        pendingReview.Settle(TestPayments.Transaction(amount: 1m), TestPayments.Start.AddMinutes(1));
        foreach (var p in new[] { paid, late, reviewed, resolved, pendingReview })
        {
            Assert.Equal(SaveResult.Saved, await Store.SaveAsync(p, Ct));
        }

        var first = await Store.ListExceptionsAsync(new ExceptionQuery { PageSize = 2 }, Ct);
        var second = await Store.ListExceptionsAsync(new ExceptionQuery { PageSize = 2, PageToken = first.NextPageToken }, Ct);

        Assert.Equal([late.Id, reviewed.Id], first.Payments.Select(p => p.Id));
        Assert.Equal([pendingReview.Id], second.Payments.Select(p => p.Id));
        Assert.Null(second.NextPageToken);
        Assert.All(first.Payments.Concat(second.Payments), p => Assert.True(p.NeedsPerson));
        Assert.DoesNotContain(pending.Id, first.Payments.Concat(second.Payments).Select(p => p.Id));
    }

    [Fact]
    public async Task A_resolution_survives_a_round_trip_through_the_store_and_takes_the_payment_out_of_the_queue()
    {
        var payment = await InsertExceptionAsync(TestPayments.New());
        PayLateForQueue(payment);
        var refund = TestPayments.Transaction(hash: new string('b', 64)) with { FromAccountId = TestPayments.Account, ToAccountId = "payer@abaa" };
        Assert.True(payment.Resolve(new PaymentResolution(ResolutionKind.Refunded, refund, "op1", default, "sent back"), TestPayments.Start.AddHours(1)).IsApplied);
        await Store.SaveAsync(payment, Ct);

        var read = (await Store.GetAsync(payment.Id, Ct))!;

        Assert.Equal(new PaymentResolution(ResolutionKind.Refunded, refund, "op1", TestPayments.Start.AddHours(1), "sent back"), read.Resolution);
        Assert.Equal((PaymentEventType.Resolved, PaymentState.PaidLate), (read.Events[^1].Type, read.Events[^1].State));
        Assert.Equal("payment.resolved", read.Outbox[^1].Type);
        Assert.Empty((await Store.ListExceptionsAsync(new ExceptionQuery(), Ct)).Payments);
    }

    private static void PayLateForQueue(Payment payment)
    {
        Assert.True(payment.Cancel(TestPayments.Start.AddMinutes(1)).IsApplied);
        Assert.True(payment.Settle(TestPayments.Transaction(amount: payment.Money.Amount, currency: payment.Money.CurrencyCode, hash: "late-" + payment.Id), TestPayments.Start.AddMinutes(6)).IsApplied);
    }

    private async Task<Payment> InsertExceptionAsync(Payment payment)
    {
        await Store.InsertIfAbsentAsync(payment, Ct);
        return payment;
    }

    [Fact]
    public async Task A_payment_is_found_by_id_request_id_and_md5()
    {
        var payment = TestPayments.New();
        await Store.InsertIfAbsentAsync(payment, Ct);

        Assert.Equal(payment.Id, (await Store.GetAsync(payment.Id, Ct))?.Id);
        Assert.Equal(payment.Id, (await Store.GetByRequestIdAsync(payment.RequestId, Ct))?.Id);
        Assert.Equal(payment.Id, (await Store.GetByMd5Async(payment.Md5, Ct))?.Id);
        Assert.Null(await Store.GetAsync("nope", Ct));
        Assert.Null(await Store.GetByRequestIdAsync(payment.RequestId.ToUpperInvariant(), Ct));
    }

    [Fact]
    public async Task A_second_insert_with_the_same_request_id_returns_the_stored_payment()
    {
        var first = TestPayments.New(requestId: "r1");
        var second = TestPayments.New(requestId: "r1");
        Assert.True((await Store.InsertIfAbsentAsync(first, Ct)).Inserted);

        var result = await Store.InsertIfAbsentAsync(second, Ct);

        Assert.False(result.Inserted);
        Assert.Equal(first.Id, result.Payment.Id);
        Assert.Null(await Store.GetAsync(second.Id, Ct));
    }

    [Fact]
    public async Task Concurrent_inserts_of_one_request_id_store_exactly_one_payment_and_all_get_it()
    {
        var candidates = Enumerable.Range(0, 16).Select(_ => TestPayments.New(requestId: "same-request")).ToList();

        var results = await AllAtOnceAsync(candidates, p => Store.InsertIfAbsentAsync(p, Ct));

        var winner = Assert.Single(results, r => r.Inserted).Payment;
        Assert.All(results, r => Assert.Equal(winner.Id, r.Payment.Id));
        Assert.Equal(winner.Id, (await Store.GetByRequestIdAsync("same-request", Ct))?.Id);
        Assert.Equal(1, (await Store.CountByStateAsync(Ct))[PaymentState.Pending]);
    }

    [Fact]
    public async Task Request_ids_differing_only_in_case_are_different_requests()
    {
        Assert.True((await Store.InsertIfAbsentAsync(TestPayments.New(requestId: "abc"), Ct)).Inserted);
        Assert.True((await Store.InsertIfAbsentAsync(TestPayments.New(requestId: "ABC"), Ct)).Inserted);
    }

    [Fact]
    public async Task Saving_a_stale_version_is_a_conflict_and_changes_nothing()
    {
        var payment = TestPayments.New();
        await Store.InsertIfAbsentAsync(payment, Ct);
        var poller = (await Store.GetAsync(payment.Id, Ct))!;
        var pos = (await Store.GetAsync(payment.Id, Ct))!;

        pos.Cancel(TestPayments.Start.AddSeconds(30));
        Assert.Equal(SaveResult.Saved, await Store.SaveAsync(pos, Ct));
        poller.RecordCheck(TestPayments.Start.AddSeconds(31), TestPayments.Start.AddSeconds(33));

        Assert.Equal(SaveResult.Conflict, await Store.SaveAsync(poller, Ct));
        var stored = (await Store.GetAsync(payment.Id, Ct))!;
        Assert.Equal(PaymentState.Cancelled, stored.State);
        Assert.Equal(0, stored.CheckCount);
    }

    [Fact]
    public async Task Concurrent_saves_of_one_version_let_exactly_one_through()
    {
        var payment = TestPayments.New();
        await Store.InsertIfAbsentAsync(payment, Ct);
        var copies = new List<Payment>();
        for (var i = 0; i < 8; i++)
        {
            var copy = (await Store.GetAsync(payment.Id, Ct))!;
            copy.RecordCheck(TestPayments.Start.AddSeconds(i + 1), TestPayments.Start.AddSeconds(10));
            copies.Add(copy);
        }

        var results = await AllAtOnceAsync(copies, c => Store.SaveAsync(c, Ct));

        Assert.Equal(1, results.Count(r => r == SaveResult.Saved));
        Assert.Equal(7, results.Count(r => r == SaveResult.Conflict));
        Assert.Equal(1, (await Store.GetAsync(payment.Id, Ct))!.CheckCount);
    }

    [Fact]
    public async Task Saving_an_unknown_payment_says_not_found()
    {
        var payment = Payment.FromSnapshot(TestPayments.New().ToSnapshot());
        Assert.Equal(SaveResult.NotFound, await Store.SaveAsync(payment, Ct));
    }

    [Fact]
    public async Task A_failed_commit_leaves_neither_the_transition_nor_its_webhook()
    {
        var payment = await Insert(TestPayments.Start);
        payment.Cancel(TestPayments.Start.AddSeconds(10));
        Assert.Single(payment.Outbox);

        await FailCommitsAsync(true);
        await Assert.ThrowsAnyAsync<Exception>(() => Store.SaveAsync(payment, Ct));
        await FailCommitsAsync(false);

        var stored = (await Store.GetAsync(payment.Id, Ct))!;
        Assert.Equal((PaymentState.Pending, 1L), (stored.State, stored.Version));
        Assert.Empty(stored.Outbox);
        Assert.Empty(await Store.GetPendingOutboxAsync(TestPayments.Start.AddDays(1), 10, Ct));
        Assert.Equal(1, (await Store.CountByStateAsync(Ct))[PaymentState.Pending]);

        // The payment object was not accepted as saved: the same change goes through now, with its webhook.
        Assert.Equal(SaveResult.Saved, await Store.SaveAsync(payment, Ct));
        Assert.Equal("payment.cancelled", Assert.Single(await Store.GetPendingOutboxAsync(TestPayments.Start.AddDays(1), 10, Ct)).Entry.Type);
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
        await Store.SaveAsync(paid, Ct);

        var expired = await Insert(TestPayments.Start.AddSeconds(-30));
        expired.Expire(expired.ExpireTime); // next check at expiry + 5 min: 08:09:30
        await Store.SaveAsync(expired, Ct);

        var due = await Store.GetDueAsync(now, 10, Ct);
        Assert.Equal([early.Id, middle.Id, late.Id, expired.Id], due.Select(p => p.Id));

        var limited = await Store.GetDueAsync(now, 2, Ct);
        Assert.Equal([early.Id, middle.Id], limited.Select(p => p.Id));
        Assert.DoesNotContain(future.Id, due.Select(p => p.Id));
    }

    [Fact]
    public async Task Due_payments_are_shared_fairly_between_terminals_and_alternate()
    {
        var flood = new List<Payment>();
        for (var i = 0; i < 10; i++)
        {
            flood.Add(await Insert(TestPayments.Start.AddSeconds(i), terminal: "busy"));
        }

        var quiet = new[]
        {
            await Insert(TestPayments.Start.AddMinutes(1), terminal: "quiet"),
            await Insert(TestPayments.Start.AddMinutes(2), terminal: "quiet"),
        };

        var due = await Store.GetDueAsync(TestPayments.Start.AddMinutes(3), 6, Ct);

        // Each terminal a share of 3; quiet has only 2, so busy takes the one left: earliest first within each.
        Assert.Equal(6, due.Count);
        Assert.Equal(quiet.Select(p => p.Id), due.Where(p => p.TerminalId == "quiet").Select(p => p.Id));
        Assert.Equal(flood.Take(4).Select(p => p.Id), due.Where(p => p.TerminalId == "busy").Select(p => p.Id));

        // Alternating: the first two are one of each terminal, and so are the next two.
        Assert.NotEqual(due[0].TerminalId, due[1].TerminalId);
        Assert.NotEqual(due[2].TerminalId, due[3].TerminalId);
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
        await Store.SaveAsync(cancelled, Ct);

        var all = await Store.CountPendingAsync("till-1", 10, Ct);
        var cut = await Store.CountPendingAsync("till-1", 3, Ct);
        var none = await Store.CountPendingAsync("till-2", 3, Ct);

        // Below the limit nobody waits, so no expiry is read; at the limit, the first to leave.
        Assert.Equal(new PendingCount(5, null), all);
        Assert.Equal(new PendingCount(3, TestPayments.Start.AddMinutes(5)), cut);
        Assert.Equal(new PendingCount(0, null), none);
    }

    [Fact]
    public async Task An_insert_at_the_terminals_pending_cap_is_refused_stores_nothing_and_says_when_the_first_leaves()
    {
        for (var i = 0; i < 3; i++)
        {
            await Insert(TestPayments.Start.AddMinutes(i));
        }

        var paid = await Insert(TestPayments.Start.AddMinutes(-1));
        paid.Settle(TestPayments.Transaction(), TestPayments.Start);
        await Store.SaveAsync(paid, Ct);
        var over = TestPayments.New(TestPayments.Start.AddMinutes(3));

        var refused = await Store.InsertIfAbsentAsync(over, maxPendingForTerminal: 3, Ct);
        var belowCap = await Store.InsertIfAbsentAsync(TestPayments.New(TestPayments.Start.AddMinutes(3)), maxPendingForTerminal: 4, Ct);
        var otherTerminal = await Store.InsertIfAbsentAsync(TestPayments.New(TestPayments.Start, terminalId: "till-2"), maxPendingForTerminal: 3, Ct);

        // The paid payment does not count: three pending, so the cap of 3 refuses and the cap of 4 does not.
        Assert.Equal((false, new PendingCount(3, TestPayments.Start.AddMinutes(5))), (refused.Inserted, refused.Refused));
        Assert.Same(over, refused.Payment);
        Assert.Null(await Store.GetAsync(over.Id, Ct));
        Assert.Null(await Store.GetByRequestIdAsync(over.RequestId, Ct));
        Assert.Equal((true, null), (belowCap.Inserted, belowCap.Refused));
        Assert.Equal((true, null), (otherTerminal.Inserted, otherTerminal.Refused));
        Assert.Equal(4, (await Store.CountPendingAsync("till-1", 10, Ct)).Count);
    }

    [Fact]
    public async Task A_replay_at_the_pending_cap_is_answered_with_the_payment_its_request_id_made()
    {
        var first = TestPayments.New(TestPayments.Start, requestId: "order-7");
        Assert.True((await Store.InsertIfAbsentAsync(first, maxPendingForTerminal: 1, Ct)).Inserted);

        var replay = await Store.InsertIfAbsentAsync(TestPayments.New(TestPayments.Start.AddSeconds(1), requestId: "order-7"), maxPendingForTerminal: 1, Ct);

        Assert.Equal((false, null, first.Id), (replay.Inserted, replay.Refused, replay.Payment.Id));
    }

    [Fact]
    public async Task The_pending_count_of_a_terminal_follows_every_save_and_survives_opening_the_store_again()
    {
        var payments = new List<Payment>();
        for (var i = 0; i < 4; i++)
        {
            payments.Add(await Insert(TestPayments.Start.AddSeconds(i), terminal: "till-7"));
        }

        payments[0].Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(10));
        payments[1].Cancel(TestPayments.Start.AddSeconds(10));
        await Store.SaveAsync(payments[0], Ct);
        await Store.SaveAsync(payments[1], Ct);
        Assert.Equal(2, (await Store.CountPendingAsync("till-7", 10, Ct)).Count);

        (Store as IDisposable)?.Dispose();
        Store = await OpenAsync();
        Assert.Equal(2, (await Store.CountPendingAsync("till-7", 10, Ct)).Count);
        Assert.Equal(0, (await Store.CountPendingAsync("till-1", 10, Ct)).Count);
    }

    [Fact]
    public async Task The_pending_count_of_each_terminal_follows_its_payments_until_they_are_paid_fail_expire_or_are_cancelled()
    {
        string[] terminals = ["till-a", "till-b", "till-c"];
        var payments = new Dictionary<string, List<Payment>>(StringComparer.Ordinal);
        foreach (var terminal in terminals)
        {
            payments[terminal] = [];
            for (var i = 0; i < 4; i++)
            {
                payments[terminal].Add(await Insert(TestPayments.Start.AddSeconds(i), terminal));
            }
        }

        var counts = await PendingCountsAsync(terminals);
        Assert.Equal([4, 4, 4], counts);

        // A check leaves a payment pending; each way out of Pending takes one off its own terminal only.
        var later = TestPayments.Start.AddMinutes(1);
        payments["till-a"][0].RecordCheck(later, later.AddSeconds(5));
        await SaveAsync(payments["till-a"][0]);
        payments["till-a"][1].Settle(TestPayments.Transaction(hash: "a1"), later);
        await SaveAsync(payments["till-a"][1]);
        payments["till-b"][0].Cancel(later);
        await SaveAsync(payments["till-b"][0]);
        payments["till-b"][1].Fail("rejected", later);
        await SaveAsync(payments["till-b"][1]);
        counts = await PendingCountsAsync(terminals);
        Assert.Equal([3, 2, 4], counts);

        // Every payment leaves: expired, then (for some) paid late, which never counts again.
        var expiry = TestPayments.Start.AddMinutes(6);
        foreach (var payment in payments.Values.SelectMany(p => p).Where(p => p.State == PaymentState.Pending))
        {
            payment.Expire(expiry);
            await SaveAsync(payment);
        }

        payments["till-c"][0].Settle(TestPayments.Transaction(hash: "c0"), expiry.AddMinutes(1));
        await SaveAsync(payments["till-c"][0]);
        counts = await PendingCountsAsync(terminals);
        Assert.Equal([0, 0, 0], counts);

        // And a new one counts again.
        await Insert(expiry, "till-b");
        counts = await PendingCountsAsync(terminals);
        Assert.Equal([0, 1, 0], counts);
    }

    [Fact]
    public async Task Many_concurrent_creates_and_settlements_on_one_terminal_are_each_counted_once()
    {
        var payments = Enumerable.Range(0, 64)
            .Select(i => TestPayments.New(TestPayments.Start.AddMilliseconds(i), terminalId: "till-busy"))
            .ToList();

        var inserted = await AllAtOnceAsync(payments, p => Store.InsertIfAbsentAsync(p, Ct));

        Assert.All(inserted, r => Assert.True(r.Inserted));
        Assert.Equal(new PendingCount(64, null), await Store.CountPendingAsync("till-busy", 65, Ct));
        Assert.Equal(new PendingCount(64, TestPayments.Start.AddMinutes(5)), await Store.CountPendingAsync("till-busy", 64, Ct));

        // Half of them paid at once.
        var paid = payments.Where((_, i) => i % 2 == 0).ToList();
        foreach (var payment in paid)
        {
            payment.Settle(TestPayments.Transaction(hash: "h-" + payment.Id), TestPayments.Start.AddMinutes(1));
        }

        var saved = await AllAtOnceAsync(paid, p => Store.SaveAsync(p, Ct));

        Assert.All(saved, r => Assert.Equal(SaveResult.Saved, r));
        Assert.Equal(new PendingCount(32, null), await Store.CountPendingAsync("till-busy", 64, Ct));
        Assert.Equal(new PendingCount(32, TestPayments.Start.AddMinutes(5).AddMilliseconds(1)), await Store.CountPendingAsync("till-busy", 32, Ct));
    }

    [Fact]
    public async Task Payments_are_counted_by_state_every_state_present()
    {
        Assert.All(await Store.CountByStateAsync(Ct), c => Assert.Equal(0, c.Value));
        Assert.Equal(Enum.GetValues<PaymentState>().Length, (await Store.CountByStateAsync(Ct)).Count);

        await Insert(TestPayments.Start);
        var paid = await Insert(TestPayments.Start);
        paid.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(3));
        await Store.SaveAsync(paid, Ct);
        var failed = await Insert(TestPayments.Start);
        failed.Fail("declined", TestPayments.Start.AddSeconds(3));
        await Store.SaveAsync(failed, Ct);

        var counts = await Store.CountByStateAsync(Ct);
        Assert.Equal((1, 1, 1, 0), (counts[PaymentState.Pending], counts[PaymentState.Paid], counts[PaymentState.Failed], counts[PaymentState.Cancelled]));
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
            var page = await Store.ListAsync(new PaymentQuery { PageSize = 3, PageToken = token }, Ct);
            seen.AddRange(page.Payments);
            token = page.NextPageToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(7, seen.Select(p => p.Id).Distinct().Count());
        Assert.Equal(seen.OrderByDescending(p => p.CreateTime).Select(p => p.CreateTime), seen.Select(p => p.CreateTime));

        var till2 = await Store.ListAsync(new PaymentQuery { TerminalId = "till-2" }, Ct);
        Assert.Equal(3, till2.Payments.Count);
        Assert.All(till2.Payments, p => Assert.Equal("till-2", p.TerminalId));

        var ranged = await Store.ListAsync(
            new PaymentQuery { CreatedFrom = TestPayments.Start.AddSeconds(1), CreatedTo = TestPayments.Start.AddSeconds(3) }, Ct);
        Assert.Equal(4, ranged.Payments.Count);
        Assert.Null(ranged.NextPageToken);

        var toCancel = (await Store.GetAsync(ids[0], Ct))!;
        toCancel.Cancel(TestPayments.Start.AddMinutes(1));
        await Store.SaveAsync(toCancel, Ct);
        var cancelled = await Store.ListAsync(new PaymentQuery { State = PaymentState.Cancelled }, Ct);
        Assert.Equal(ids[0], Assert.Single(cancelled.Payments).Id);

        await Assert.ThrowsAsync<ArgumentException>(() => Store.ListAsync(new PaymentQuery { PageToken = "garbage!" }, Ct));
    }

    [Fact]
    public async Task Filtered_pages_are_newest_first_exact_and_stable_under_inserts()
    {
        var all = new List<Payment>();
        for (var i = 0; i < 40; i++)
        {
            // Terminals whose names are prefixes of each other and end in digits, like the created keys that follow them.
            var payment = TestPayments.New(TestPayments.Start.AddSeconds(i / 3), terminalId: (i % 4) switch { 0 => "t", 1 => "t1", 2 => "t10", _ => "T" });
            await Store.InsertIfAbsentAsync(payment, Ct);
            if (i % 5 == 0)
            {
                payment.Cancel(TestPayments.Start.AddMinutes(1));
                await Store.SaveAsync(payment, Ct);
            }

            all.Add(payment);
        }

        var filters = new[]
        {
            new PaymentQuery { PageSize = 4 },
            new PaymentQuery { PageSize = 4, TerminalId = "t1" },
            new PaymentQuery { PageSize = 4, TerminalId = "t" },
            new PaymentQuery { PageSize = 4, State = PaymentState.Cancelled },
            new PaymentQuery { PageSize = 4, State = PaymentState.Pending, TerminalId = "t10" },
            new PaymentQuery { PageSize = 4, CreatedFrom = TestPayments.Start.AddSeconds(2), CreatedTo = TestPayments.Start.AddSeconds(9) },
            new PaymentQuery { PageSize = 3, TerminalId = "T", State = PaymentState.Pending, CreatedFrom = TestPayments.Start.AddSeconds(1), CreatedTo = TestPayments.Start.AddSeconds(12) },
        };
        foreach (var filter in filters)
        {
            // Newest first; within one instant by id, in code-unit order.
            var expected = all
                .Where(p => filter.TerminalId is null || p.TerminalId == filter.TerminalId)
                .Where(p => filter.State is null || p.State == filter.State)
                .Where(p => filter.CreatedFrom is null || p.CreateTime >= filter.CreatedFrom)
                .Where(p => filter.CreatedTo is null || p.CreateTime < filter.CreatedTo)
                .OrderByDescending(p => p.CreateTime)
                .ThenByDescending(p => p.Id, StringComparer.Ordinal)
                .Select(p => p.Id)
                .ToList();
            var seen = new List<string>();
            var added = new List<Payment>();
            string? token = null;
            do
            {
                var page = await Store.ListAsync(filter with { PageToken = token }, Ct);
                seen.AddRange(page.Payments.Select(p => p.Id));
                token = page.NextPageToken;

                // A payment created meanwhile is newer than every page: it never shows up on a later one.
                var meanwhile = TestPayments.New(TestPayments.Start.AddHours(1).AddTicks(all.Count + added.Count), terminalId: filter.TerminalId ?? "t");
                await Store.InsertIfAbsentAsync(meanwhile, Ct);
                added.Add(meanwhile);
            }
            while (token is not null);

            Assert.True(expected.SequenceEqual(seen), filter + ": expected " + string.Join(" ", expected) + ", listed " + string.Join(" ", seen));
            all.AddRange(added);
        }
    }

    [Fact]
    public async Task Outbox_entries_are_pending_until_delivered_and_a_later_save_does_not_undo_delivery()
    {
        var payment = await Insert(TestPayments.Start);
        payment.Cancel(TestPayments.Start.AddSeconds(10));
        await Store.SaveAsync(payment, Ct);

        var pending = Assert.Single(await Store.GetPendingOutboxAsync(TestPayments.Start.AddSeconds(10), 10, Ct));
        Assert.Equal("payment.cancelled", pending.Entry.Type);
        Assert.Equal(payment.Id, pending.Payment.Id);

        Assert.True(await Store.RecordOutboxFailureAsync(payment.Id, pending.Entry.EventId, TestPayments.Start.AddSeconds(20), "HTTP 500", Ct));
        Assert.Empty(await Store.GetPendingOutboxAsync(TestPayments.Start.AddSeconds(19), 10, Ct));
        var retry = Assert.Single(await Store.GetPendingOutboxAsync(TestPayments.Start.AddSeconds(20), 10, Ct));
        Assert.Equal((1, "HTTP 500"), (retry.Entry.Attempts, retry.Entry.LastError));

        Assert.True(await Store.MarkOutboxDeliveredAsync(payment.Id, pending.Entry.EventId, TestPayments.Start.AddSeconds(21), Ct));
        Assert.Empty(await Store.GetPendingOutboxAsync(TestPayments.Start.AddDays(1), 10, Ct));
        Assert.False(await Store.MarkOutboxDeliveredAsync(payment.Id, "evt_unknown", TestPayments.Start, Ct));
        Assert.False(await Store.RecordOutboxFailureAsync("unknown-payment", pending.Entry.EventId, TestPayments.Start, "x", Ct));

        // The payment object still holds the undelivered entry; saving it (late money) must keep the delivery.
        payment.Settle(TestPayments.Transaction(), TestPayments.Start.AddMinutes(6));
        Assert.Equal(SaveResult.Saved, await Store.SaveAsync(payment, Ct));
        var next = Assert.Single(await Store.GetPendingOutboxAsync(TestPayments.Start.AddDays(1), 10, Ct));
        Assert.Equal("payment.paid_late", next.Entry.Type);
        var stored = (await Store.GetAsync(payment.Id, Ct))!;
        Assert.Equal(["payment.cancelled", "payment.paid_late"], stored.Outbox.Select(o => o.Type));
        Assert.Equal((2, TestPayments.Start.AddSeconds(21)), (stored.Outbox[0].Attempts, stored.Outbox[0].DeliveredTime));
    }

    [Fact]
    public async Task Pending_webhooks_come_oldest_due_first_limited()
    {
        var payments = new List<Payment>();
        for (var i = 0; i < 4; i++)
        {
            var p = await Insert(TestPayments.Start);
            p.Cancel(TestPayments.Start.AddSeconds(10 - i));
            await Store.SaveAsync(p, Ct);
            payments.Add(p);
        }

        var due = await Store.GetPendingOutboxAsync(TestPayments.Start.AddMinutes(1), 3, Ct);

        Assert.Equal([payments[3].Id, payments[2].Id, payments[1].Id], due.Select(d => d.Payment.Id));
    }

    [Fact]
    public async Task Data_and_counts_survive_closing_and_opening_the_store_again()
    {
        var payment = TestPayments.New();
        await Store.InsertIfAbsentAsync(payment, Ct);
        await Store.InsertIfAbsentAsync(TestPayments.New(), Ct);
        payment.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(4));
        await Store.SaveAsync(payment, Ct);
        (Store as IDisposable)?.Dispose();

        Store = await OpenAsync();
        var read = await Store.GetByMd5Async(payment.Md5, Ct);
        Assert.NotNull(read);
        AssertSame(payment.ToSnapshot(), read.ToSnapshot());
        Assert.Single(await Store.GetPendingOutboxAsync(TestPayments.Start.AddMinutes(1), 10, Ct));
        var counts = await Store.CountByStateAsync(Ct);
        Assert.Equal((1, 1), (counts[PaymentState.Pending], counts[PaymentState.Paid]));
    }

    [Fact]
    public async Task A_paid_payment_is_found_by_its_transaction_hash_in_any_case_and_an_unpaid_one_is_not()
    {
        var receipts = (IReceiptStore)Store;
        var paid = TestPayments.New(requestId: "paid");
        var pending = TestPayments.New(requestId: "pending");
        await Store.InsertIfAbsentAsync(paid, Ct);
        await Store.InsertIfAbsentAsync(pending, Ct);
        paid.Settle(TestPayments.Transaction(hash: "abcdef0123"), TestPayments.Start.AddSeconds(3));
        Assert.Equal(SaveResult.Saved, await Store.SaveAsync(paid, Ct));

        Assert.Equal(paid.Id, (await receipts.FindByTransactionHashAsync("ABCDEF0123", Ct))?.Id);
        Assert.Null(await receipts.FindByTransactionHashAsync("abcdef0124", Ct));
    }

    [Fact]
    public async Task Each_verification_answers_the_first_of_its_hash_also_after_the_store_is_opened_again()
    {
        var first = new ReceiptVerificationRecord("AB12", TestPayments.Start, "client-1", "till-1");

        var none = await ((IReceiptStore)Store).RecordVerificationAsync(first, Ct);
        var second = await ((IReceiptStore)Store).RecordVerificationAsync(first with { VerifyTime = TestPayments.Start.AddMinutes(1), TerminalId = "till-2" }, Ct);
        var other = await ((IReceiptStore)Store).RecordVerificationAsync(first with { Hash = "cd34" }, Ct);
        (Store as IDisposable)?.Dispose();
        Store = await OpenAsync();
        var third = await ((IReceiptStore)Store).RecordVerificationAsync(first with { VerifyTime = TestPayments.Start.AddMinutes(2), ClientId = "client-2" }, Ct);

        Assert.Null(none);
        Assert.Null(other);
        var recorded = first with { Hash = "ab12" };
        Assert.Equal(recorded, second);
        Assert.Equal(recorded, third);
    }

    [Fact]
    public async Task Of_concurrent_first_verifications_of_one_hash_exactly_one_is_first()
    {
        var receipts = (IReceiptStore)Store;
        var answers = await AllAtOnceAsync(
            Enumerable.Range(0, 8),
            i => receipts.RecordVerificationAsync(new ReceiptVerificationRecord("ee55", TestPayments.Start.AddSeconds(i), "client-" + i, "till-1"), Ct));

        Assert.Single(answers, a => a is null);
        Assert.Single(answers.Where(a => a is not null).Distinct());
    }

    /// <summary>Each terminal's pending count, far below any limit.</summary>
    private async Task<int[]> PendingCountsAsync(params string[] terminals)
    {
        var counts = new int[terminals.Length];
        for (var i = 0; i < terminals.Length; i++)
        {
            counts[i] = (await Store.CountPendingAsync(terminals[i], 1000, Ct)).Count;
        }

        return counts;
    }

    private async Task SaveAsync(Payment payment) => Assert.Equal(SaveResult.Saved, await Store.SaveAsync(payment, Ct));

    /// <summary>Runs <paramref name="write"/> on every item at once (released together), waiting for all.</summary>
    private static async Task<T[]> AllAtOnceAsync<TItem, T>(IEnumerable<TItem> items, Func<TItem, Task<T>> write)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writes = items.Select(item => Task.Run(async () =>
        {
            await start.Task;
            return await write(item);
        })).ToList();
        start.SetResult();
        return await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(60), Ct);
    }

    protected async Task<Payment> Insert(DateTimeOffset created, string terminal = "till-1")
    {
        var payment = TestPayments.New(created, terminalId: terminal);
        Assert.True((await Store.InsertIfAbsentAsync(payment, Ct)).Inserted);
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
