using Bakong.Khqr;
using Bakong.Payments.Exceptions;
using Bakong.Payments.Storage;
using Bakong.Payments.Tests.Polling;
using Bakong.Payments.Writing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Payments.Tests.Exceptions;

/// <summary>
/// The exception queue in the store (its own index, oldest first, resolved payments out) and the resolution's rules on
/// the aggregate and through the write path (once, also when two race).
/// </summary>
public sealed class ExceptionQueueTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LiteDbPaymentStore _store;

    public ExceptionQueueTests() => _store = new LiteDbPaymentStore(_dir.File("bakong.db"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void The_queue_is_one_range_of_its_own_index_read_in_its_order()
    {
        var plan = _store.ExplainExceptions(50);

        Assert.Equal("exceptions", plan["index"]["name"].AsString);
        Assert.StartsWith("INDEX RANGE SCAN", plan["index"]["mode"].AsString, StringComparison.Ordinal);
        Assert.False(plan.ContainsKey("orderBy"), "sorted after reading: " + plan.ToString());
        Assert.False(plan.ContainsKey("filters"), "filtered after reading: " + plan.ToString());
    }

    [Fact]
    public void A_payment_is_resolved_once_and_only_when_it_needs_a_person_and_has_an_outcome()
    {
        var accept = new PaymentResolution(ResolutionKind.Accepted, null, "op1", default, null);
        var paid = TestPayments.New();
        paid.Settle(TestPayments.Transaction(), TestPayments.Start.AddMinutes(1));
        var pendingReview = TestPayments.New();
        pendingReview.Settle(TestPayments.Transaction(amount: 1m), TestPayments.Start.AddMinutes(1));
        var late = TestPayments.New();
        PayLate(late);

        var notNeeded = paid.Resolve(accept, TestPayments.Start.AddHours(1));
        var stillPending = pendingReview.Resolve(accept, TestPayments.Start.AddHours(1));
        var first = late.Resolve(accept, TestPayments.Start.AddHours(1));
        var version = late.Version;
        var second = late.Resolve(accept with { ResolvedBy = "op2" }, TestPayments.Start.AddHours(2));

        Assert.Equal(TransitionOutcome.NotAllowed, notNeeded.Outcome);
        Assert.Contains("needs no resolution", notNeeded.Reason, StringComparison.Ordinal);
        Assert.Equal(TransitionOutcome.NotAllowed, stillPending.Outcome);
        Assert.Contains("still pending", stillPending.Reason, StringComparison.Ordinal);
        Assert.True(first.IsApplied);
        Assert.Equal((TransitionOutcome.NotAllowed, "already resolved (accepted) by op1"), (second.Outcome, second.Reason));
        Assert.Equal((version, "op1"), (late.Version, late.Resolution!.ResolvedBy));
        Assert.Equal(PaymentState.PaidLate, late.State);
    }

    [Fact]
    public void A_refund_must_go_from_the_merchant_to_the_payer_in_the_currency_received_for_at_least_the_amount()
    {
        var late = TestPayments.New(money: Money.Create(KhqrCurrency.Usd, 1.50m));
        PayLate(late);
        var refund = TestPayments.Transaction(amount: 1.50m, hash: new string('c', 64)) with { FromAccountId = TestPayments.Account, ToAccountId = "payer@abaa" };

        Assert.Empty(late.RefundMismatchOf(refund));
        Assert.Empty(late.RefundMismatchOf(refund with { Amount = 2m }));
        Assert.Equal(["from_account_id", "to_account_id"], late.RefundMismatchOf(refund with { FromAccountId = "payer@abaa", ToAccountId = TestPayments.Account }).Select(m => m.Field));
        Assert.Equal(["amount"], late.RefundMismatchOf(refund with { Amount = 1.49m }).Select(m => m.Field));
        Assert.Equal(["currency"], late.RefundMismatchOf(refund with { Currency = "KHR", Amount = 6000m }).Select(m => m.Field));
        Assert.Contains("1 USD, expected at least the 1.5 USD received", late.RefundMismatchOf(refund with { Amount = 1m })[0].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_resolutions_racing_on_one_payment_record_exactly_one_and_refuse_the_other()
    {
        var payment = await InsertAsync(TestPayments.New());
        PayLate(payment);
        await _store.SaveAsync(payment, Ct);

        // Both calls read the payment before either saves: the loser's save conflicts, and the write path decides again
        // on the stored payment, which is resolved by then.
        var racing = new RaceStore(_store, readers: 2);
        var writer = new PaymentWriter(racing, []);
        var resolver = new PaymentResolver(racing, writer, new FakeBakongClient(), TestPayments.Clock(), NullLogger<PaymentResolver>.Instance);

        var outcomes = await Task.WhenAll(
            resolver.ResolveAsync(new ResolvePaymentRequest(payment.Id, ResolutionKind.Accepted, null, null, "op1"), Ct),
            resolver.ResolveAsync(new ResolvePaymentRequest(payment.Id, ResolutionKind.Accepted, null, null, "op2"), Ct));

        var won = Assert.Single(outcomes.OfType<ResolveOutcome.Resolved>());
        var lost = Assert.Single(outcomes.OfType<ResolveOutcome.NotResolvable>());
        Assert.StartsWith("already resolved (accepted) by " + won.Payment.Resolution!.ResolvedBy, lost.Reason, StringComparison.Ordinal);
        Assert.Equal(1, racing.Conflicts);
        var stored = (await _store.GetAsync(payment.Id, Ct))!;
        Assert.Single(stored.Events, e => e.Type == PaymentEventType.Resolved);
        Assert.Single(stored.Outbox, o => o.Type == "payment.resolved");
    }

    private static void PayLate(Payment payment)
    {
        Assert.True(payment.Cancel(TestPayments.Start.AddMinutes(1)).IsApplied);
        Assert.True(payment.Settle(TestPayments.Transaction(amount: payment.Money.Amount, currency: payment.Money.CurrencyCode, hash: "late-" + payment.Id), TestPayments.Start.AddMinutes(6)).IsApplied);
    }

    private async Task<Payment> InsertAsync(Payment payment)
    {
        await _store.InsertIfAbsentAsync(payment, Ct);
        return payment;
    }

    /// <summary>Holds the first <c>readers</c> reads of a payment until that many have been made, and counts save conflicts.</summary>
    private sealed class RaceStore(IPaymentStore inner, int readers) : DelegatingPaymentStore(inner)
    {
        private readonly TaskCompletionSource _allRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;
        private int _conflicts;

        public int Conflicts => _conflicts;

        public override async Task<Payment?> GetAsync(string paymentId, CancellationToken cancellationToken)
        {
            var payment = await Inner.GetAsync(paymentId, cancellationToken);
            var n = Interlocked.Increment(ref _reads);
            if (n == readers)
            {
                _allRead.TrySetResult();
            }

            if (n <= readers)
            {
                await _allRead.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }

            return payment;
        }

        public override async Task<SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken)
        {
            var result = await Inner.SaveAsync(payment, cancellationToken);
            if (result == SaveResult.Conflict)
            {
                Interlocked.Increment(ref _conflicts);
            }

            return result;
        }
    }
}
