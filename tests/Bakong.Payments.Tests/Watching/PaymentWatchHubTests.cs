using Bakong.Payments.Watching;

namespace Bakong.Payments.Tests.Watching;

public sealed class PaymentWatchHubTests : IDisposable
{
    private static readonly DateTimeOffset s_afterExpiry = TestPayments.Start.AddMinutes(6);

    private readonly WatchHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task The_first_message_is_the_current_snapshot()
    {
        var payment = await _h.CreateAsync();
        await _h.CheckAsync(payment.Id);

        await using var watcher = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct));
        var first = await watcher.NextAsync();

        Assert.Equal(payment.Id, first.Id);
        Assert.Equal(2, first.Version);
        Assert.Equal(PaymentState.Pending, first.State);
    }

    [Fact]
    public async Task A_client_that_has_the_current_version_gets_only_changes()
    {
        var payment = await _h.CreateAsync();
        await using var watcher = new Watcher(_h.Hub.WatchAsync(payment.Id, afterVersion: 1, WatchHarness.Ct));

        var next = watcher.MoveNext();
        Assert.False(next.IsCompleted);
        await _h.CheckAsync(payment.Id);

        Assert.True(await next.WaitAsync(WatchHarness.Timeout, WatchHarness.Ct));
        Assert.Equal(2, watcher.Current.Version);
    }

    [Fact]
    public async Task Changes_are_delivered_in_version_order_and_stale_publishes_are_ignored()
    {
        var payment = await _h.CreateAsync();
        await using var watcher = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct));
        Assert.Equal(1, (await watcher.NextAsync()).Version);

        var v2 = await _h.CheckAsync(payment.Id);
        Assert.Equal(2, (await watcher.NextAsync()).Version);
        var v3 = await _h.CheckAsync(payment.Id);
        Assert.Equal(3, (await watcher.NextAsync()).Version);

        // Two savers finishing out of order: the older publish arrives last and is not shown.
        _h.Hub.Publish(v2);
        _h.Hub.Publish(v3);
        await _h.CheckAsync(payment.Id);
        Assert.Equal(4, (await watcher.NextAsync()).Version);
    }

    [Fact]
    public async Task A_change_wakes_only_the_watchers_of_its_payment()
    {
        var a = await _h.CreateAsync();
        var b = await _h.CreateAsync();
        await using var watchingA = new Watcher(_h.Hub.WatchAsync(a.Id, 1, WatchHarness.Ct));
        await using var watchingB = new Watcher(_h.Hub.WatchAsync(b.Id, 1, WatchHarness.Ct));
        var nextA = watchingA.MoveNext();
        var nextB = watchingB.MoveNext();

        await _h.CheckAsync(a.Id);

        Assert.True(await nextA.WaitAsync(WatchHarness.Timeout, WatchHarness.Ct));
        Assert.Equal(a.Id, watchingA.Current.Id);
        Assert.False(nextB.IsCompleted);

        await _h.CheckAsync(b.Id);
        Assert.True(await nextB.WaitAsync(WatchHarness.Timeout, WatchHarness.Ct));
        Assert.Equal(b.Id, watchingB.Current.Id);
        Assert.Equal(2, watchingB.Current.Version);
    }

    [Fact]
    public async Task Every_watcher_of_one_payment_gets_the_change()
    {
        var payment = await _h.CreateAsync();
        var watchers = new List<Watcher>();
        for (var i = 0; i < 20; i++)
        {
            var watcher = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct));
            await watcher.NextAsync();
            watchers.Add(watcher);
        }

        Assert.Equal(20, _h.Hub.WatcherCount);
        Assert.Equal(1, _h.Hub.WatchedPaymentCount);
        await _h.ChangeAsync(payment.Id, p => p.Cancel(TestPayments.Start.AddMinutes(1)));

        foreach (var watcher in watchers)
        {
            var change = await watcher.NextAsync();
            Assert.Equal(PaymentState.Cancelled, change.State);
            await watcher.EndedAsync();
            await watcher.DisposeAsync();
        }

        Assert.Equal(0, _h.Hub.WatcherCount);
    }

    [Fact]
    public async Task A_slow_watcher_does_not_hold_up_publishing_or_a_fast_watcher_and_gets_the_latest_then_the_terminal_state()
    {
        var payment = await _h.CreateAsync();
        await using var slow = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct));
        await using var fast = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct));
        await slow.NextAsync();
        await fast.NextAsync();

        // The slow watcher reads nothing while three changes are published; the fast one sees each.
        for (var version = 2; version <= 4; version++)
        {
            await _h.CheckAsync(payment.Id);
            Assert.Equal(version, (await fast.NextAsync()).Version);
        }

        Assert.Equal(4, (await slow.NextAsync()).Version);

        // Expired is terminal; reconciliation bookkeeping and late money follow before the slow watcher reads again.
        await _h.ChangeAsync(payment.Id, p => p.Expire(s_afterExpiry));
        Assert.Equal(PaymentState.Expired, (await fast.NextAsync()).State);
        await fast.EndedAsync();
        await _h.ChangeAsync(payment.Id, p => p.RecordReconciliationCheck(s_afterExpiry.AddMinutes(5)));
        await _h.ChangeAsync(payment.Id, p => p.Settle(TestPayments.Transaction(), s_afterExpiry.AddMinutes(30)));

        var terminal = await slow.NextAsync();
        Assert.Equal(PaymentState.Expired, terminal.State);
        Assert.Equal(5, terminal.Version);
        await slow.EndedAsync();
    }

    [Fact]
    public async Task The_stream_completes_after_a_terminal_state()
    {
        var payment = await _h.CreateAsync();
        await using var watcher = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct));
        await watcher.NextAsync();

        await _h.ChangeAsync(payment.Id, p => p.Settle(TestPayments.Transaction(), TestPayments.Start.AddMinutes(1)));

        var paid = await watcher.NextAsync();
        Assert.Equal(PaymentState.Paid, paid.State);
        Assert.Equal(2, paid.Version);
        await watcher.EndedAsync();
        Assert.Equal(0, _h.Hub.WatcherCount);
    }

    [Fact]
    public async Task A_payment_already_terminal_is_shown_once_and_the_stream_completes()
    {
        var payment = await _h.CreateAsync();
        var failed = await _h.ChangeAsync(payment.Id, p => p.Fail("declined", TestPayments.Start.AddMinutes(1)));

        await using (var watcher = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct)))
        {
            Assert.Equal(PaymentState.Failed, (await watcher.NextAsync()).State);
            await watcher.EndedAsync();
        }

        // A client that already has the terminal version gets nothing and is not left hanging.
        await using (var watcher = new Watcher(_h.Hub.WatchAsync(payment.Id, failed.Version, WatchHarness.Ct)))
        {
            await watcher.EndedAsync();
        }

        Assert.Equal(0, _h.Hub.WatcherCount);
    }

    [Fact]
    public async Task Cancelling_the_call_ends_the_stream_and_unsubscribes()
    {
        var payment = await _h.CreateAsync();
        using var call = CancellationTokenSource.CreateLinkedTokenSource(WatchHarness.Ct);
        await using var watcher = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, call.Token));
        await watcher.NextAsync();
        var next = watcher.MoveNext();
        Assert.Equal(1, _h.Hub.WatcherCount);

        await call.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WaitAsync(WatchHarness.Timeout, WatchHarness.Ct));
        Assert.Equal(0, _h.Hub.WatcherCount);
        Assert.Equal(0, _h.Hub.WatchedPaymentCount);
    }

    [Fact]
    public async Task Application_stopping_completes_every_stream()
    {
        var a = await _h.CreateAsync();
        var b = await _h.CreateAsync();
        var watchers = new[]
        {
            new Watcher(_h.Hub.WatchAsync(a.Id, 0, WatchHarness.Ct)),
            new Watcher(_h.Hub.WatchAsync(a.Id, 0, WatchHarness.Ct)),
            new Watcher(_h.Hub.WatchAsync(b.Id, 1, WatchHarness.Ct)),
        };
        await watchers[0].NextAsync();
        await watchers[1].NextAsync();
        var pending = watchers.Select(w => w.MoveNext()).ToArray();
        Assert.Equal(3, _h.Hub.WatcherCount);

        _h.Lifetime.StopApplication();

        foreach (var next in pending)
        {
            Assert.False(await next.WaitAsync(WatchHarness.Timeout, WatchHarness.Ct));
        }

        Assert.Equal(0, _h.Hub.WatcherCount);
        Assert.Equal(0, _h.Hub.WatchedPaymentCount);
        foreach (var watcher in watchers)
        {
            await watcher.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_unknown_payment_is_not_found_and_leaves_no_subscriber()
    {
        await using var watcher = new Watcher(_h.Hub.WatchAsync("pay_missing", 0, WatchHarness.Ct));

        var error = await Assert.ThrowsAsync<PaymentNotFoundException>(() => watcher.MoveNext().WaitAsync(WatchHarness.Timeout, WatchHarness.Ct));

        Assert.Equal("pay_missing", error.PaymentId);
        Assert.Equal(0, _h.Hub.WatcherCount);
        Assert.Equal(0, _h.Hub.WatchedPaymentCount);
    }

    [Fact]
    public async Task A_change_published_while_the_first_read_runs_is_shown_once()
    {
        var payment = await _h.CreateAsync();

        // Saved and published after the hub subscribed, before it read: the read sees it, the mailbox drops it.
        _h.BeforeRead = async () =>
        {
            _h.BeforeRead = null;
            await _h.CheckAsync(payment.Id);
        };
        await using var watcher = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct));
        Assert.Equal(2, (await watcher.NextAsync()).Version);

        var next = watcher.MoveNext();
        await _h.CheckAsync(payment.Id);
        Assert.True(await next.WaitAsync(WatchHarness.Timeout, WatchHarness.Ct));
        Assert.Equal(3, watcher.Current.Version);
    }

    [Fact]
    public async Task A_change_published_just_after_the_first_read_is_not_lost()
    {
        var payment = await _h.CreateAsync();

        // The read returns version 1; version 2 is saved and published before the hub gets the read back.
        _h.AfterRead = async () =>
        {
            _h.AfterRead = null;
            await _h.ChangeAsync(payment.Id, p => p.Cancel(TestPayments.Start.AddMinutes(1)));
        };
        await using var watcher = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct));

        Assert.Equal(1, (await watcher.NextAsync()).Version);
        var cancelled = await watcher.NextAsync();
        Assert.Equal(PaymentState.Cancelled, cancelled.State);
        await watcher.EndedAsync();
    }

    [Fact]
    public async Task Streams_that_end_in_every_way_leave_no_subscribers()
    {
        var payments = new List<Payment>();
        for (var i = 0; i < 5; i++)
        {
            payments.Add(await _h.CreateAsync());
        }

        var ended = new List<Task>();
        using var call = CancellationTokenSource.CreateLinkedTokenSource(WatchHarness.Ct);
        foreach (var payment in payments)
        {
            // One abandoned after the first message, one cancelled, one run to a terminal state.
            await using (var abandoned = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct)))
            {
                await abandoned.NextAsync();
            }

            var cancelled = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, call.Token));
            await cancelled.NextAsync();
            ended.Add(Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.MoveNext()));

            var completed = new Watcher(_h.Hub.WatchAsync(payment.Id, 0, WatchHarness.Ct));
            await completed.NextAsync();
            ended.Add(ReadToTheEndAsync(completed));
        }

        Assert.Equal(10, _h.Hub.WatcherCount);
        await call.CancelAsync();
        foreach (var payment in payments)
        {
            await _h.ChangeAsync(payment.Id, p => p.Cancel(TestPayments.Start.AddMinutes(1)));
        }

        await Task.WhenAll(ended).WaitAsync(WatchHarness.Timeout, WatchHarness.Ct);
        Assert.Equal(0, _h.Hub.WatcherCount);
        Assert.Equal(0, _h.Hub.WatchedPaymentCount);

        static async Task ReadToTheEndAsync(Watcher watcher)
        {
            await using (watcher)
            {
                Assert.Equal(PaymentState.Cancelled, (await watcher.NextAsync()).State);
                await watcher.EndedAsync();
            }
        }
    }

    [Fact]
    public void Publishing_a_payment_with_unsaved_changes_is_refused()
    {
        var payment = TestPayments.New();

        Assert.Throws<InvalidOperationException>(() => _h.Hub.Publish(payment));
    }
}
