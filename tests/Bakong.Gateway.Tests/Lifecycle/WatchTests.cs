using Bakong.Gateway.Tests.Support;
using Bakong.Grpc.Payments.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>Many <c>WatchPayment</c> streams on one payment, and resuming a stream by version, over gRPC.</summary>
public sealed class WatchTests : GatewayTest
{
    private const int Watchers = 8;

    [Fact]
    public async Task Every_watcher_of_one_payment_that_keeps_up_is_shown_the_same_versions_and_ends_on_paid()
    {
        // Opened once the first check is saved, so every stream starts from the same snapshot, version 2; the next
        // check finds nothing and is not shown, so the streams show the snapshot, then PAID.
        var created = await Gateway.CreateAsync(Requests.Create("crowd"));
        await Gateway.Store.SavedAsync(created.PaymentId, p => p.Version == 2);
        var watches = Enumerable.Range(0, Watchers).Select(_ => Gateway.Watch(created.PaymentId)).ToList();
        try
        {
            // Each step waits until every stream has shown the change (or the store has saved the unshown check)
            // before making the next one.
            await AllShownAsync(watches, p => p.Version >= 2);
            await Gateway.CheckNextAsync(created.PaymentId);
            await Gateway.PayAsync(created.Khqr);
            Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
            await AllShownAsync(watches, p => p.State != State.Pending);

            var expected = watches[0].Seen;
            Assert.Equal(2, expected[0].Version);
            Assert.Equal([State.Pending, State.Paid], expected.Select(p => p.State));
            PaymentLifecycleTests.AssertIncreasing(watches[0].Versions);
            Assert.All(watches, w => Assert.Equal(expected, w.Seen));
            foreach (var watch in watches)
            {
                await watch.EndsAsync();
            }
        }
        finally
        {
            watches.ForEach(w => w.Dispose());
        }
    }

    [Fact]
    public async Task A_watcher_that_reads_nothing_until_the_end_does_not_hold_up_another_and_is_then_shown_its_changes_up_to_paid()
    {
        var created = await Gateway.CreateAsync(Requests.Create("slow-reader"));
        using var slow = Gateway.Watch(created.PaymentId);
        using var fast = Gateway.Watch(created.PaymentId);
        await fast.NextAsync();
        await Gateway.CheckedAsync(created.PaymentId, checks: 1);
        for (var i = 0; i < 5; i++)
        {
            await Gateway.CheckNextAsync(created.PaymentId);
        }

        await Gateway.PayAsync(created.Khqr);
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await fast.NextAsync();
        Assert.Equal(State.Paid, paid.State);

        var last = await slow.SettledAsync();
        Assert.Equal(paid, last);
        // What it is shown are saved versions (all of them, or fewer if its buffers fill: latest wins), in order.
        var saved = Gateway.Store.Writes.Where(w => w.PaymentId == created.PaymentId).Select(w => w.Payment?.Version).ToHashSet();
        Assert.All(slow.Versions, v => Assert.Contains(v, saved));
        PaymentLifecycleTests.AssertIncreasing(slow.Versions);
        await slow.EndsAsync();
    }

    [Fact]
    public async Task A_watch_resumed_after_a_version_is_shown_exactly_the_changes_after_it()
    {
        var (created, first) = await Gateway.CreateCheckedAsync(Requests.Create("reconnect"));
        long seen;
        using (first)
        {
            seen = first.Seen[^1].Version;
        }

        // While nobody watches, the poller checks once more.
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var missed = await Gateway.Store.SavedAsync(created.PaymentId, p => p.Version > seen);

        using var behind = Gateway.Watch(created.PaymentId, seen);
        using var current = Gateway.Watch(created.PaymentId, missed.Version);
        var caughtUp = await behind.NextAsync();
        Assert.Equal(missed.Version, caughtUp.Version);
        Assert.Equal(State.Pending, caughtUp.State);

        await Gateway.PayAsync(created.Khqr);
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await behind.SettledAsync();

        Assert.Equal([missed.Version, paid.Version], behind.Versions);
        Assert.Equal(paid, await current.NextAsync());
        Assert.Equal([paid.Version], current.Versions);
        await behind.EndsAsync();
        await current.EndsAsync();

        // Resuming after the terminal version: nothing more to show.
        using var after = Gateway.Watch(created.PaymentId, paid.Version);
        await after.EndsAsync();
    }

    [Fact]
    public async Task A_watcher_of_a_pending_payment_is_shown_no_message_for_checks_that_find_nothing_and_paid_next()
    {
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create("quiet"));
        using var _ = watch;
        var next = watch.NextAsync();

        // Three more checks find nothing: each is saved (the version goes up) but is only bookkeeping.
        var versions = new List<long> { watch.Seen[0].Version };
        for (var check = 0; check < 3; check++)
        {
            var saved = await Gateway.CheckNextAsync(created.PaymentId);
            Assert.Equal(PaymentState.Pending, saved.State);
            versions.Add(saved.Version);
        }

        Assert.False(next.IsCompleted, "a check that found nothing was shown");
        await Gateway.PayAsync(created.Khqr);
        Gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await next;

        Assert.Equal(State.Paid, paid.State);
        PaymentLifecycleTests.AssertIncreasing([.. versions, paid.Version]);
        Assert.Equal(2, watch.Seen.Count);
        await watch.EndsAsync();
    }

    [Fact]
    public async Task Stopping_the_gateway_ends_an_open_watch_with_unavailable_not_serving()
    {
        var (created, watch) = await Gateway.CreateCheckedAsync(Requests.Create("shutdown"));
        using var _ = watch;
        var call = Gateway.Payments.WatchPayment(new WatchPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);

        // The snapshot the stream opens with says the server is in the watch: stopping before the call reached it would
        // test the host refusing a new request (INTERNAL from the test server) instead of ending an open watch.
        Assert.True(await call.ResponseStream.MoveNext(Ct).WaitAsync(GatewayFactory.Timeout, Ct));
        var stopping = Gateway.Services.GetRequiredService<IHostApplicationLifetime>();
        stopping.StopApplication();
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(Ct).WaitAsync(GatewayFactory.Timeout, Ct));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal("NOT_SERVING", e.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        call.Dispose();
    }

    private static async Task AllShownAsync(List<PaymentWatch> watches, Func<Bakong.Grpc.Payments.V1.Payment, bool> match)
    {
        foreach (var watch in watches)
        {
            if (watch.Seen.Count == 0 || !match(watch.Seen[^1]))
            {
                await watch.UntilAsync(match);
            }
        }
    }
}
