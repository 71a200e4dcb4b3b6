using System.Buffers.Text;
using System.Text;
using Bakong.Payments.Cancellation;
using Bakong.Payments.Listing;
using Bakong.Payments.Reading;
using Bakong.Payments.Storage;
using Bakong.Payments.Watching;
using Bakong.Payments.Writing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Payments.Tests.UseCases;

/// <summary>The read, list, watch and cancel use cases over a real store, as the RPC edge calls them.</summary>
public sealed class UseCaseTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LiteDbPaymentStore _store;
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = TestPayments.Clock();

    public UseCaseTests() => _store = new LiteDbPaymentStore(_dir.File("bakong.db"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Reading_an_unknown_payment_is_not_found()
    {
        var stored = await InsertAsync();
        var reader = new PaymentReader(_store);

        Assert.Equal(stored.Id, (await reader.GetAsync(stored.Id, Ct)).Id);
        Assert.Equal("nope", (await Assert.ThrowsAsync<PaymentNotFoundException>(() => reader.GetAsync("nope", Ct))).PaymentId);
    }

    [Fact]
    public async Task A_cancel_cancels_a_pending_payment_once_and_refuses_a_settled_one()
    {
        var pending = await InsertAsync();
        var paid = await InsertAsync();
        paid.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(5));
        Assert.Equal(SaveResult.Saved, await _store.SaveAsync(paid, Ct));
        var cancellation = new PaymentCancellation(new PaymentWriter(_store, []), _clock, NullLogger<PaymentCancellation>.Instance);

        var first = Assert.IsType<CancelOutcome.Cancelled>(await cancellation.CancelAsync(pending.Id, Ct));
        var again = Assert.IsType<CancelOutcome.Cancelled>(await cancellation.CancelAsync(pending.Id, Ct));
        var refused = Assert.IsType<CancelOutcome.NotPending>(await cancellation.CancelAsync(paid.Id, Ct));

        Assert.Equal((PaymentState.Cancelled, first.Payment.Version), (again.Payment.State, again.Payment.Version));
        Assert.Equal(PaymentState.Paid, refused.Payment.State);
        await Assert.ThrowsAsync<PaymentNotFoundException>(() => cancellation.CancelAsync("nope", Ct));
    }

    [Fact]
    public async Task A_watch_refuses_a_negative_version_or_one_ahead_of_the_stored_one()
    {
        var stored = await InsertAsync();
        using var lifetime = new Bakong.Payments.Tests.Watching.TestLifetime();
        var watching = new PaymentWatching(_store, new PaymentWatchHub(_store, lifetime));

        var negative = Assert.IsType<WatchResult.Invalid>(await watching.WatchAsync(stored.Id, -1, Ct));
        var ahead = Assert.IsType<WatchResult.Invalid>(await watching.WatchAsync(stored.Id, stored.Version + 1, Ct));
        var watch = Assert.IsType<WatchResult.Watching>(await watching.WatchAsync(stored.Id, stored.Version, Ct));

        Assert.Equal(("after_version", "must not be negative"), (negative.Violations[0].Field, negative.Violations[0].Description));
        Assert.Equal(("after_version", "greater than the payment's version 1"), (ahead.Violations[0].Field, ahead.Violations[0].Description));
        Assert.Equal(stored.Id, watch.Current.Id);
        await Assert.ThrowsAsync<PaymentNotFoundException>(() => watching.WatchAsync("nope", 0, Ct));
    }

    [Fact]
    public async Task A_list_filters_several_states_and_pages_with_a_token_bound_to_its_filters()
    {
        var cancelled = await InsertAsync(TestPayments.Start);
        cancelled.Cancel(TestPayments.Start.AddSeconds(1));
        Assert.Equal(SaveResult.Saved, await _store.SaveAsync(cancelled, Ct));
        await InsertAsync(TestPayments.Start.AddSeconds(1), terminalId: "till-2");
        var pending = await InsertAsync(TestPayments.Start.AddSeconds(2));
        var listing = new PaymentListing(_store);
        var request = new ListPaymentsRequest { States = [PaymentState.Pending, PaymentState.Cancelled], TerminalId = "till-1", PageSize = 1 };

        var first = Assert.IsType<ListPaymentsResult.Listed>(await listing.ListAsync(request, Ct));
        var second = Assert.IsType<ListPaymentsResult.Listed>(await listing.ListAsync(request with { PageToken = first.NextPageToken }, Ct));
        var otherFilters = Assert.IsType<ListPaymentsResult.Invalid>(
            await listing.ListAsync(request with { States = [PaymentState.Pending], PageToken = first.NextPageToken }, Ct));

        Assert.Equal([pending.Id], first.Payments.Select(p => p.Id));
        Assert.Equal([cancelled.Id], second.Payments.Select(p => p.Id));
        Assert.Equal(("page_token", "not a token from a ListPayments call with these filters"), (otherFilters.Violations[0].Field, otherFilters.Violations[0].Description));
    }

    [Fact]
    public async Task A_list_request_is_checked_before_the_store_is_asked()
    {
        var listing = new PaymentListing(_store);

        var invalid = Assert.IsType<ListPaymentsResult.Invalid>(await listing.ListAsync(
            new ListPaymentsRequest
            {
                PageSize = -1,
                CreatedFrom = TestPayments.Start,
                CreatedTo = TestPayments.Start.AddSeconds(-1),
                PageToken = new string('a', PaymentLimits.PageToken + 1),
            },
            Ct));
        var forged = Assert.IsType<ListPaymentsResult.Invalid>(await listing.ListAsync(
            new ListPaymentsRequest { PageToken = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("p1.x.y")) }, Ct));

        Assert.Equal(["page_size", "end_create_time", "page_token"], invalid.Violations.Select(v => v.Field));
        Assert.Equal("page_token", Assert.Single(forged.Violations).Field);
    }

    [Fact]
    public async Task A_list_terminal_filter_is_a_terminal_id_as_create_payment_takes_it()
    {
        var listing = new PaymentListing(_store);
        await InsertAsync(terminalId: "till-1");

        foreach (var terminal in new[] { new string('t', PaymentLimits.TerminalId + 1), "till 1", "till-1\n" })
        {
            var invalid = Assert.IsType<ListPaymentsResult.Invalid>(await listing.ListAsync(new ListPaymentsRequest { TerminalId = terminal }, Ct));
            Assert.Equal("terminal_id", Assert.Single(invalid.Violations).Field);
        }

        var listed = Assert.IsType<ListPaymentsResult.Listed>(await listing.ListAsync(new ListPaymentsRequest { TerminalId = "till-1" }, Ct));
        Assert.Single(listed.Payments);
    }

    private async Task<Payment> InsertAsync(DateTimeOffset? createTime = null, string terminalId = "till-1")
    {
        var payment = TestPayments.New(createTime, terminalId: terminalId);
        Assert.True((await _store.InsertIfAbsentAsync(payment, Ct)).Inserted);
        return (await _store.GetAsync(payment.Id, Ct))!;
    }
}
