using Bakong.OpenApi.Client;
using Bakong.Payments.Polling;
using Bakong.Payments.Storage;
using Bakong.Payments.Writing;

namespace Bakong.Payments.Tests.Polling;

public sealed class PaymentPollerTests : IAsyncDisposable
{
    private static readonly DateTimeOffset s_t0 = TestPayments.Start;
    private readonly PollerHarness _h = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    // ---- Schedule ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_new_payment_is_checked_at_once_after_creation()
    {
        var payment = await _h.CreateAsync();
        Assert.Equal(s_t0, payment.NextCheckTime);

        var pass = await _h.RunAsync(s_t0);

        Assert.Equal((1, 1, 0, 1), (pass.Due, pass.Calls, pass.Faults, pass.Saved));
        Assert.Equal([payment.Md5], Assert.Single(_h.Bakong.Calls));
        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.Pending, stored.State);
        Assert.Equal(1, stored.CheckCount);
        Assert.Equal(s_t0, stored.LastCheckTime);
        Assert.Equal(s_t0 + TimeSpan.FromSeconds(2), stored.NextCheckTime);
    }

    [Fact]
    public async Task A_payment_is_not_checked_before_its_next_check_time()
    {
        var payment = await _h.CreateAsync();
        await _h.RunAsync(s_t0);

        var pass = await _h.RunAsync(s_t0 + TimeSpan.FromMilliseconds(1999));

        Assert.Equal(0, pass.Due);
        Assert.Equal(1, _h.Bakong.CallsFor(payment.Md5));
    }

    [Fact]
    public async Task Checks_back_off_from_every_2_s_to_5_s_after_a_minute_and_10_s_after_3_minutes()
    {
        var payment = await _h.CreateAsync(expiresIn: TimeSpan.FromMinutes(10));

        var times = await _h.RunWhileAsync(payment, PaymentState.Pending, s_t0 + TimeSpan.FromMinutes(5));

        Assert.Equal(s_t0, times[0]);
        for (var i = 1; i < times.Count; i++)
        {
            var age = times[i - 1] - s_t0;
            var expected = age < TimeSpan.FromMinutes(1) ? 2 : age < TimeSpan.FromMinutes(3) ? 5 : 10;
            Assert.Equal(TimeSpan.FromSeconds(expected), times[i] - times[i - 1]);
        }

        // 30 checks in the first minute, 24 to 3 min, then every 10 s.
        Assert.Equal(30, times.Count(t => t - s_t0 < TimeSpan.FromMinutes(1)));
        Assert.Equal(24, times.Count(t => t - s_t0 >= TimeSpan.FromMinutes(1) && t - s_t0 < TimeSpan.FromMinutes(3)));
        Assert.Equal(_h.Bakong.Calls.Count, times.Count);
        Assert.Equal(times.Count, (await _h.GetAsync(payment)).CheckCount);
    }

    [Fact]
    public async Task The_backoff_follows_the_configured_intervals()
    {
        await using var h = new PollerHarness(o =>
        {
            o.FastInterval = TimeSpan.FromSeconds(1);
            o.FastUntil = TimeSpan.FromSeconds(10);
            o.MediumInterval = TimeSpan.FromSeconds(3);
            o.MediumUntil = TimeSpan.FromSeconds(19);
            o.SlowInterval = TimeSpan.FromSeconds(7);
        });
        var payment = await h.CreateAsync();

        var times = await h.RunWhileAsync(payment, PaymentState.Pending, s_t0 + TimeSpan.FromSeconds(40));

        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 16, 19, 26, 33, 40], times.Select(t => (int)(t - s_t0).TotalSeconds));
    }

    [Fact]
    public async Task Due_payments_are_checked_in_list_calls_of_at_most_50_md5s()
    {
        await using var h = new PollerHarness(o => o.MaxDuePerPass = 200); // one pass of all 120
        var payments = new List<Payment>();
        for (var i = 0; i < 120; i++)
        {
            payments.Add(await h.InsertAsync());
        }

        var pass = await h.RunAsync(s_t0);

        Assert.Equal((120, 3, 120), (pass.Due, pass.Calls, pass.Saved));
        Assert.Equal([50, 50, 20], h.Bakong.Calls.Select(c => c.Length));
        Assert.Equal(
            payments.Select(p => p.Md5).Order(StringComparer.Ordinal),
            h.Bakong.Calls.SelectMany(c => c).Order(StringComparer.Ordinal));
        foreach (var p in payments)
        {
            Assert.Equal(s_t0 + TimeSpan.FromSeconds(2), (await h.GetAsync(p)).NextCheckTime);
        }

        Assert.Equal(0, (await h.RunAsync(s_t0 + TimeSpan.FromSeconds(1))).Due);
    }

    [Fact]
    public async Task A_list_call_s_payments_are_saved_together_not_one_after_another()
    {
        for (var i = 0; i < 30; i++)
        {
            await _h.InsertAsync();
        }

        // Each save waits until all 30 were asked for: saved one after another, the first would wait for ever.
        var store = new HeldSaves(_h.Store, expected: 30);
        using var poller = new PaymentPoller(
            store,
            new PaymentWriter(store, []),
            _h.Bakong,
            _h.Signal,
            Microsoft.Extensions.Options.Options.Create(_h.Options()),
            _h.Clock,
            _h.Logger,
            new PollerMetrics(_h.MeterFactory));

        var pass = poller.RunOnceAsync(s_t0, Ct);
        await store.AllAsked.Task.WaitAsync(PollerHarness.SignalTimeout, Ct);

        Assert.Equal((30, 1, 30), ((await pass).Due, (await pass).Calls, (await pass).Saved));
        Assert.All(await _h.Store.GetDueAsync(s_t0 + TimeSpan.FromSeconds(2), 100, Ct), p => Assert.Equal(1, p.CheckCount));
    }

    [Fact]
    public async Task A_full_pass_says_more_may_be_due_and_the_next_pass_takes_the_rest()
    {
        await using var h = new PollerHarness(o => o.MaxDuePerPass = 60);
        for (var i = 0; i < 100; i++)
        {
            await h.InsertAsync();
        }

        var first = await h.RunAsync(s_t0);
        var second = await h.RunAsync(s_t0);

        Assert.Equal((60, true), (first.Due, first.MoreDue));
        Assert.Equal((40, false), (second.Due, second.MoreDue));
        Assert.Equal([50, 10, 40], h.Bakong.Calls.Select(c => c.Length));
    }

    [Fact]
    public async Task One_terminal_s_19000_due_payments_do_not_keep_another_terminal_s_payment_out_of_the_next_pass()
    {
        // T1's flood came first: every one of its payments is due before T2's, which was created a minute later.
        var flood = new List<Task<InsertResult>>();
        for (var i = 0; i < 19_000; i++)
        {
            flood.Add(_h.Store.InsertIfAbsentAsync(TestPayments.New(s_t0 - TimeSpan.FromMinutes(1) + TimeSpan.FromMilliseconds(i), terminalId: "T1"), Ct));
        }

        await Task.WhenAll(flood);
        var other = TestPayments.New(s_t0, terminalId: "T2");
        await _h.Store.InsertIfAbsentAsync(other, Ct);

        var pass = await _h.RunAsync(s_t0);

        // Checked in this pass, in its first list call, and T1 still had the rest of the pass.
        Assert.Contains(other.Md5, _h.Bakong.Calls[0]);
        Assert.Equal(new PaymentPollerOptions().MaxDuePerPass, pass.Due);
        Assert.True(pass.MoreDue);
        Assert.Equal(s_t0 + TimeSpan.FromSeconds(2), (await _h.GetAsync(other)).NextCheckTime);
    }

    [Fact]
    public async Task A_pass_shares_its_payments_between_the_terminals_that_have_some_due()
    {
        await using var h = new PollerHarness(o => o.MaxDuePerPass = 10);
        foreach (var (terminal, count) in new[] { ("A", 20), ("B", 1), ("C", 20) })
        {
            for (var i = 0; i < count; i++)
            {
                await h.Store.InsertIfAbsentAsync(TestPayments.New(s_t0 - TimeSpan.FromSeconds(count - i), terminalId: terminal), Ct);
            }
        }

        var due = await h.Store.GetDueAsync(s_t0, 10, Ct);

        // A share of 4 each; B has 1 due, and the place it leaves goes to the first that filled its share. Round robin.
        Assert.Equal(["A", "B", "C", "A", "C", "A", "C", "A", "C", "A"], due.Select(p => p.TerminalId));
        Assert.True(due.Where(p => p.TerminalId == "A").Select(p => p.NextCheckTime).SequenceEqual(
            due.Where(p => p.TerminalId == "A").Select(p => p.NextCheckTime).Order()));
    }

    // ---- Settlement ----------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_matching_transfer_pays_the_payment_and_ends_its_checks()
    {
        var payment = await _h.CreateAsync();
        await _h.RunAsync(s_t0);
        _h.Bakong.Pay(payment.Md5, TestPayments.Transaction());

        await _h.RunAsync(s_t0 + TimeSpan.FromSeconds(2));

        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.Paid, stored.State);
        Assert.Equal("aa11", stored.Transaction?.Hash);
        Assert.Null(stored.NextCheckTime);
        Assert.Equal("payment.paid", Assert.Single(stored.Outbox).Type);
        Assert.Equal(1, _h.Logger.Count("PaymentPaid"));

        Assert.Equal(0, (await _h.RunAsync(s_t0 + TimeSpan.FromHours(30))).Due);
        Assert.Equal(2, _h.Bakong.CallsFor(payment.Md5));
    }

    [Theory]
    [InlineData(1.49, "USD", TestPayments.Account)]
    [InlineData(1.50, "KHR", TestPayments.Account)]
    [InlineData(1.50, "USD", "thief@abaa")]
    public async Task A_transfer_that_does_not_match_is_not_paid_but_flagged_and_the_payment_still_expires(
        double amount, string currency, string to)
    {
        var payment = await _h.CreateAsync();
        _h.Bakong.Pay(payment.Md5, TestPayments.Transaction((decimal)amount, currency, to));

        await _h.RunAsync(s_t0);

        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.Pending, stored.State);
        Assert.True(stored.NeedsReview);
        Assert.Equal("payment.review_required", Assert.Single(stored.Outbox).Type);
        Assert.Equal(s_t0 + TimeSpan.FromSeconds(2), stored.NextCheckTime);
        Assert.Equal(1, _h.Logger.Count("PaymentNeedsReview"));

        // The same answer again changes nothing but the schedule, and at the end the QR expires with its flag.
        await _h.RunWhileAsync(payment, PaymentState.Pending, s_t0 + TimeSpan.FromMinutes(10));
        stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.Expired, stored.State);
        Assert.True(stored.NeedsReview);
        Assert.Equal(["payment.review_required", "payment.expired"], stored.Outbox.Select(o => o.Type));
        Assert.Equal(1, _h.Logger.Count("PaymentNeedsReview"));
    }

    [Fact]
    public async Task A_failed_transfer_fails_the_payment()
    {
        var payment = await _h.CreateAsync();
        _h.Bakong.FailTransfer(payment.Md5, "Insufficient funds");

        await _h.RunAsync(s_t0);

        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.Failed, stored.State);
        Assert.Equal("Insufficient funds", stored.FailureReason);
        Assert.Null(stored.NextCheckTime);
        Assert.Equal("payment.failed", Assert.Single(stored.Outbox).Type);
    }

    // ---- Expiry --------------------------------------------------------------------------------------------------

    [Fact]
    public async Task An_unpaid_payment_is_checked_at_its_expiry_once_more_after_the_grace_and_then_expires()
    {
        var payment = await _h.CreateAsync(); // 5 minutes
        var expiry = payment.ExpireTime;

        var times = await _h.RunWhileAsync(payment, PaymentState.Pending, expiry + TimeSpan.FromHours(1));

        // The backoff does not skip the expiry; after it, exactly one more check, after the grace.
        Assert.Equal([expiry, expiry + TimeSpan.FromSeconds(5)], times.Where(t => t >= expiry));
        Assert.True(times.Where(t => t < expiry).All(t => t >= s_t0));
        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.Expired, stored.State);
        Assert.Equal(expiry + TimeSpan.FromSeconds(5), stored.SettleTime);
        Assert.Equal("payment.expired", Assert.Single(stored.Outbox).Type);
        Assert.Equal(stored.SettleTime + TimeSpan.FromMinutes(5), stored.NextCheckTime);
        Assert.Equal(times.Count, stored.CheckCount);
        Assert.Equal(1, _h.Logger.Count("PaymentExpired"));
    }

    [Fact]
    public async Task A_payment_paid_during_the_grace_is_paid_not_expired()
    {
        var payment = await _h.CreateAsync();
        await _h.RunWhileAsync(payment, PaymentState.Pending, payment.ExpireTime);
        Assert.Equal(payment.ExpireTime + TimeSpan.FromSeconds(5), (await _h.GetAsync(payment)).NextCheckTime);

        _h.Bakong.Pay(payment.Md5, TestPayments.Transaction());
        await _h.RunAsync(payment.ExpireTime + TimeSpan.FromSeconds(5));

        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.Paid, stored.State);
        Assert.Equal("payment.paid", Assert.Single(stored.Outbox).Type);
    }

    [Fact]
    public async Task A_payment_first_checked_long_after_its_expiry_expires_at_that_check()
    {
        var payment = await _h.InsertAsync();

        await _h.RunAsync(s_t0 + TimeSpan.FromHours(1));

        Assert.Equal(PaymentState.Expired, (await _h.GetAsync(payment)).State);
    }

    // ---- Faults --------------------------------------------------------------------------------------------------

    public static TheoryData<BakongFaultKind, int?> FaultKinds() => new()
    {
        { BakongFaultKind.Timeout, null },
        { BakongFaultKind.ServerError, 503 },
        { BakongFaultKind.RateLimited, 429 },
        { BakongFaultKind.Unauthorized, 401 },
        { BakongFaultKind.GeoBlocked, 403 },
        { BakongFaultKind.CircuitOpen, null },
        { BakongFaultKind.Malformed, 200 },
        { BakongFaultKind.Unreachable, null },
    };

    [Theory]
    [MemberData(nameof(FaultKinds))]
    public async Task A_fault_never_changes_a_pending_payment_and_it_is_retried_later(BakongFaultKind kind, int? status)
    {
        var payment = await _h.CreateAsync();
        _h.Bakong.FaultAll = Faults.Of(kind, status);

        var pass = await _h.RunAsync(s_t0);

        Assert.Equal(1, pass.Faults);
        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.Pending, stored.State);
        Assert.Single(stored.Events);
        Assert.Empty(stored.Outbox);
        Assert.Equal(s_t0 + TimeSpan.FromSeconds(5), stored.NextCheckTime); // the fault delay, not the 2 s schedule
        Assert.Equal(1, _h.Logger.Count("PollerCheckFault"));
        Assert.Contains(_h.Logger.Records, r => r.Id.Name == "PollerCheckFault" && r.Message.Contains(kind.ToString(), StringComparison.Ordinal));

        // Still faulting long after the expiry (+ grace): still pending, never expired on a fault; the delay doubles.
        var late = payment.ExpireTime + TimeSpan.FromMinutes(1);
        await _h.RunAsync(late);
        stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.Pending, stored.State);
        Assert.Equal(late + TimeSpan.FromSeconds(10), stored.NextCheckTime);

        // Bakong answers again: the final check expires it.
        _h.Bakong.FaultAll = null;
        await _h.RunAsync(late + TimeSpan.FromSeconds(10));
        Assert.Equal(PaymentState.Expired, (await _h.GetAsync(payment)).State);
    }

    [Fact]
    public async Task A_bakong_error_code_or_a_missing_answer_counts_as_a_fault()
    {
        var withError = await _h.InsertAsync();
        var missing = await _h.InsertAsync();
        _h.Bakong.Answer(withError.Md5, BakongResult<TransactionCheck>.Error(99, "Something else"));
        _h.Bakong.Omitted.Add(missing.Md5);
        var answered = await _h.InsertAsync();

        var pass = await _h.RunAsync(s_t0);

        Assert.Equal(2, pass.Faults);
        foreach (var p in new[] { withError, missing })
        {
            var stored = await _h.GetAsync(p);
            Assert.Equal((PaymentState.Pending, s_t0 + TimeSpan.FromSeconds(5)), (stored.State, stored.NextCheckTime));
        }

        Assert.Equal(s_t0 + TimeSpan.FromSeconds(2), (await _h.GetAsync(answered)).NextCheckTime);
        Assert.Contains(_h.Logger.Records, r => r.Id.Name == "PollerCheckFault" && r.Message.Contains("BakongError", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fault_delays_double_while_faults_go_on_up_to_the_maximum_and_reset_after_an_answer()
    {
        var payment = await _h.CreateAsync();
        _h.Bakong.FaultAll = Faults.Of(BakongFaultKind.ServerError, 500);
        var now = s_t0;
        var delays = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            await _h.RunAsync(now);
            var next = (await _h.GetAsync(payment)).NextCheckTime!.Value;
            delays.Add((next - now).TotalSeconds);
            now = next;
        }

        Assert.Equal([5, 10, 20, 40, 60, 60], delays);

        _h.Bakong.FaultAll = null;
        await _h.RunAsync(now);
        _h.Bakong.FaultAll = Faults.Of(BakongFaultKind.ServerError, 500);
        var after = (await _h.GetAsync(payment)).NextCheckTime!.Value;
        await _h.RunAsync(after);

        // Back to the first delay (5 s), so the 10 s schedule of a payment this old wins.
        Assert.Equal(after + TimeSpan.FromSeconds(10), (await _h.GetAsync(payment)).NextCheckTime);
    }

    [Fact]
    public async Task After_a_list_call_faults_the_rest_of_the_pass_is_not_sent()
    {
        await using var h = new PollerHarness(o => o.MaxDuePerPass = 200); // one pass of all 120
        var payments = new List<Payment>();
        for (var i = 0; i < 120; i++)
        {
            payments.Add(await h.InsertAsync());
        }

        h.Bakong.FaultAll = Faults.Of(BakongFaultKind.RateLimited, 429);

        var pass = await h.RunAsync(s_t0);

        Assert.Equal((1, 120, 120), (pass.Calls, pass.Faults, pass.Saved));
        foreach (var p in payments)
        {
            var stored = await h.GetAsync(p);
            Assert.Equal((PaymentState.Pending, s_t0 + TimeSpan.FromSeconds(5)), (stored.State, stored.NextCheckTime));
        }
    }

    [Fact]
    public async Task A_fault_during_reconciliation_changes_nothing_and_does_not_use_up_a_slot()
    {
        var payment = await ExpiredPaymentAsync();
        var expired = (await _h.GetAsync(payment)).SettleTime!.Value;
        _h.Bakong.FaultAll = Faults.Of(BakongFaultKind.Timeout);

        await _h.RunAsync(expired + TimeSpan.FromMinutes(5));

        var stored = await _h.GetAsync(payment);
        Assert.Equal((PaymentState.Expired, 0), (stored.State, stored.ReconciliationCount));
        Assert.Equal(expired + TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(5), stored.NextCheckTime);

        _h.Bakong.FaultAll = null;
        await _h.RunAsync(stored.NextCheckTime);
        stored = await _h.GetAsync(payment);
        Assert.Equal(1, stored.ReconciliationCount);
        Assert.Equal(expired + TimeSpan.FromMinutes(30), stored.NextCheckTime);
    }

    // ---- Reconciliation ------------------------------------------------------------------------------------------

    [Fact]
    public async Task An_expired_payment_paid_later_becomes_paid_late_at_the_5_minute_check()
    {
        var payment = await ExpiredPaymentAsync();
        var expired = (await _h.GetAsync(payment)).SettleTime!.Value;
        _h.Bakong.Pay(payment.Md5, TestPayments.Transaction());

        Assert.Equal(0, (await _h.RunAsync(expired + TimeSpan.FromMinutes(4))).Due);
        await _h.RunAsync(expired + TimeSpan.FromMinutes(5));

        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.PaidLate, stored.State);
        Assert.Null(stored.NextCheckTime);
        Assert.Equal(["payment.expired", "payment.paid_late"], stored.Outbox.Select(o => o.Type));
        Assert.Equal(1, _h.Logger.Count("PaymentPaidLate"));
    }

    [Fact]
    public async Task A_cancelled_payment_paid_later_becomes_paid_late()
    {
        var payment = await _h.CreateAsync();
        await _h.RunAsync(s_t0);
        var cancelled = s_t0 + TimeSpan.FromSeconds(10);
        await CancelAsync(payment, cancelled);
        _h.Bakong.Pay(payment.Md5, TestPayments.Transaction());

        Assert.Equal(0, (await _h.RunAsync(cancelled + TimeSpan.FromMinutes(1))).Due);
        await _h.RunAsync(cancelled + TimeSpan.FromMinutes(5));

        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.PaidLate, stored.State);
        Assert.Equal(["payment.cancelled", "payment.paid_late"], stored.Outbox.Select(o => o.Type));
    }

    [Fact]
    public async Task Reconciliation_checks_at_5_min_30_min_2_h_and_24_h_then_never_again()
    {
        var payment = await ExpiredPaymentAsync();
        var expired = (await _h.GetAsync(payment)).SettleTime!.Value;
        var callsBefore = _h.Bakong.CallsFor(payment.Md5);

        var times = await _h.RunWhileAsync(payment, PaymentState.Expired, expired + TimeSpan.FromDays(30));

        Assert.Equal(
            [TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(24)],
            times.Select(t => t - expired));
        var stored = await _h.GetAsync(payment);
        Assert.Equal((PaymentState.Expired, 4, (DateTimeOffset?)null), (stored.State, stored.ReconciliationCount, stored.NextCheckTime));
        Assert.Equal(callsBefore + 4, _h.Bakong.CallsFor(payment.Md5));

        // Money after the last slot is not looked for any more.
        _h.Bakong.Pay(payment.Md5, TestPayments.Transaction());
        Assert.Equal(0, (await _h.RunAsync(expired + TimeSpan.FromDays(60))).Due);
        Assert.Equal(PaymentState.Expired, (await _h.GetAsync(payment)).State);
    }

    [Fact]
    public async Task A_failed_answer_during_reconciliation_changes_nothing_but_uses_the_slot()
    {
        var payment = await ExpiredPaymentAsync();
        var expired = (await _h.GetAsync(payment)).SettleTime!.Value;
        _h.Bakong.FailTransfer(payment.Md5);

        await _h.RunAsync(expired + TimeSpan.FromMinutes(5));

        var stored = await _h.GetAsync(payment);
        Assert.Equal((PaymentState.Expired, 1), (stored.State, stored.ReconciliationCount));
    }

    // ---- Restart and concurrency ---------------------------------------------------------------------------------

    [Fact]
    public async Task A_new_poller_over_the_reopened_store_continues_the_schedule()
    {
        var payment = await _h.CreateAsync();
        await _h.RunWhileAsync(payment, PaymentState.Pending, s_t0 + TimeSpan.FromSeconds(70));
        var before = await _h.GetAsync(payment);
        Assert.Equal(s_t0 + TimeSpan.FromSeconds(75), before.NextCheckTime);

        _h.Restart();

        Assert.Equal(0, (await _h.RunAsync(s_t0 + TimeSpan.FromSeconds(74))).Due);
        Assert.Equal(1, (await _h.RunAsync(s_t0 + TimeSpan.FromSeconds(75))).Calls);
        var after = await _h.GetAsync(payment);
        Assert.Equal(before.CheckCount + 1, after.CheckCount);
        Assert.Equal(s_t0 + TimeSpan.FromSeconds(80), after.NextCheckTime);

        // And settles after the restart.
        _h.Bakong.Pay(payment.Md5, TestPayments.Transaction());
        await _h.RunAsync(s_t0 + TimeSpan.FromSeconds(80));
        Assert.Equal(PaymentState.Paid, (await _h.GetAsync(payment)).State);
    }

    [Fact]
    public async Task A_cancel_between_the_read_and_the_save_is_not_overwritten()
    {
        var payment = await _h.CreateAsync();
        var cancelled = s_t0;
        _h.Bakong.DuringCall = async _ =>
        {
            _h.Bakong.DuringCall = null;
            await CancelAsync(payment, cancelled);
        };

        var pass = await _h.RunAsync(s_t0);

        Assert.Equal(0, pass.Saved);
        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.Cancelled, stored.State);
        Assert.Equal((0, 0), (stored.CheckCount, stored.ReconciliationCount));
        Assert.Equal(cancelled + TimeSpan.FromMinutes(5), stored.NextCheckTime); // the reconciliation slot is untouched
        Assert.Equal(1, _h.Logger.Count("PollerSaveRetry"));
    }

    [Fact]
    public async Task A_check_whose_save_loses_every_race_is_logged_and_stays_due_for_the_next_pass()
    {
        var payment = await _h.CreateAsync();
        _h.Bakong.Pay(payment.Md5, TestPayments.Transaction());
        _h.SavesConflict = true;

        var lost = await _h.RunAsync(s_t0);

        Assert.Equal(0, lost.Saved);
        Assert.Equal(1, _h.Logger.Count("PollerSaveGaveUp"));
        var stored = await _h.GetAsync(payment);
        Assert.Equal((PaymentState.Pending, payment.NextCheckTime), (stored.State, stored.NextCheckTime));

        // The next pass finds it due still and applies the answer.
        _h.SavesConflict = false;
        Assert.Equal(1, (await _h.RunAsync(s_t0)).Saved);
        Assert.Equal(PaymentState.Paid, (await _h.GetAsync(payment)).State);
    }

    [Fact]
    public async Task Money_found_for_a_payment_cancelled_while_it_was_checked_makes_it_paid_late_not_paid()
    {
        var payment = await _h.CreateAsync();
        _h.Bakong.Pay(payment.Md5, TestPayments.Transaction());
        _h.Bakong.DuringCall = async _ =>
        {
            _h.Bakong.DuringCall = null;
            await CancelAsync(payment, s_t0);
        };

        await _h.RunAsync(s_t0);

        var stored = await _h.GetAsync(payment);
        Assert.Equal(PaymentState.PaidLate, stored.State);
        Assert.Equal(["payment.cancelled", "payment.paid_late"], stored.Outbox.Select(o => o.Type));
    }

    private async Task<Payment> ExpiredPaymentAsync()
    {
        var payment = await _h.CreateAsync();
        await _h.RunWhileAsync(payment, PaymentState.Pending, s_t0 + TimeSpan.FromHours(1));
        Assert.Equal(PaymentState.Expired, (await _h.GetAsync(payment)).State);
        return payment;
    }

    private async Task CancelAsync(Payment payment, DateTimeOffset now)
    {
        var fresh = await _h.GetAsync(payment);
        Assert.True(fresh.Cancel(now).IsApplied);
        Assert.Equal(SaveResult.Saved, await _h.Store.SaveAsync(fresh, Ct));
    }

    /// <summary>Holds every save until <c>expected</c> saves have been asked for.</summary>
    private sealed class HeldSaves(IPaymentStore inner, int expected) : DelegatingPaymentStore(inner)
    {
        private int _asked;

        public TaskCompletionSource AllAsked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _asked) == expected)
            {
                AllAsked.SetResult();
            }

            await AllAsked.Task.WaitAsync(PollerHarness.SignalTimeout, cancellationToken);
            return await Inner.SaveAsync(payment, cancellationToken);
        }
    }
}
