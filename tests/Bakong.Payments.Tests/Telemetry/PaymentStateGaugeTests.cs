using System.Diagnostics.Metrics;
using Bakong.Payments.Storage;
using Bakong.Payments.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Bakong.Payments.Tests.Telemetry;

/// <summary>The <c>bakong.payments.current</c> gauge: seeded from the store, then moved by every saved change.</summary>
public sealed class PaymentStateGaugeTests : IDisposable
{
    private static readonly DateTimeOffset s_afterExpiry = TestPayments.Start + TimeSpan.FromMinutes(6);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly PaymentMetrics _metrics;
    private readonly MetricCollector<long> _gauge;

    public PaymentStateGaugeTests()
    {
        var meterFactory = _services.GetRequiredService<IMeterFactory>();
        _metrics = new PaymentMetrics(meterFactory);
        _gauge = new MetricCollector<long>(meterFactory, PaymentMetrics.MeterName, "bakong.payments.current");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _gauge.Dispose();
        _services.Dispose();
    }

    [Fact]
    public void Before_it_is_seeded_the_gauge_reports_nothing_rather_than_a_wrong_count()
    {
        Created(TestPayments.New());

        Assert.Empty(Observe());
    }

    [Fact]
    public void Seeded_empty_every_state_reports_zero()
    {
        _metrics.Seed(new Dictionary<PaymentState, long>());

        Assert.Equal(
            new Dictionary<string, long> { ["pending"] = 0, ["paid"] = 0, ["failed"] = 0, ["expired"] = 0, ["cancelled"] = 0, ["paid_late"] = 0 },
            Observe());
    }

    [Fact]
    public void A_created_payment_is_pending_and_a_paid_one_leaves_pending_for_paid()
    {
        _metrics.Seed(new Dictionary<PaymentState, long>());
        var payment = Created(TestPayments.New());
        Created(TestPayments.New());
        Assert.Equal(2, Observe()["pending"]);

        Transition(payment, p => p.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(30)));

        var now = Observe();
        Assert.Equal((1, 1, 0), (now["pending"], now["paid"], now["failed"]));
    }

    [Theory]
    [InlineData(PaymentState.Expired, "expired")]
    [InlineData(PaymentState.Cancelled, "cancelled")]
    public void Money_after_expiry_or_cancel_moves_the_payment_from_that_state_to_paid_late(PaymentState from, string fromName)
    {
        _metrics.Seed(new Dictionary<PaymentState, long>());
        var payment = Created(TestPayments.New());
        Transition(payment, p => from == PaymentState.Expired ? p.Expire(s_afterExpiry) : p.Cancel(TestPayments.Start.AddSeconds(10)));
        Assert.Equal((0, 1), (Observe()["pending"], Observe()[fromName]));

        Transition(payment, p => p.Settle(TestPayments.Transaction(), s_afterExpiry.AddMinutes(30)));

        var now = Observe();
        Assert.Equal((0, 0, 1, 0), (now["pending"], now[fromName], now["paid_late"], now["paid"]));
    }

    [Fact]
    public void A_review_flag_changes_no_state()
    {
        _metrics.Seed(new Dictionary<PaymentState, long>());
        var payment = Created(TestPayments.New());

        var events = Transition(payment, p => p.Settle(TestPayments.Transaction(amount: 9m), TestPayments.Start.AddSeconds(30)));

        Assert.Equal(PaymentEventType.ReviewRequired, Assert.Single(events).Type);
        var now = Observe();
        Assert.Equal((1, 0L), (now["pending"], now.Values.Sum() - now["pending"]));
    }

    [Fact]
    public void A_save_that_appends_an_expiry_and_paid_late_at_once_counts_each_step()
    {
        _metrics.Seed(new Dictionary<PaymentState, long>());
        var payment = Created(TestPayments.New());

        Transition(payment, p =>
        {
            p.Expire(s_afterExpiry);
            return p.Settle(TestPayments.Transaction(), s_afterExpiry.AddMinutes(1));
        });

        var now = Observe();
        Assert.Equal((0, 0, 1), (now["pending"], now["expired"], now["paid_late"]));
    }

    [Fact]
    public async Task Seeding_at_start_counts_what_the_store_holds_and_later_saves_move_it()
    {
        using var dir = new TempDirectory();
        using var store = new LiteDbPaymentStore(dir.File("bakong.db"));
        var pending = TestPayments.New();
        await store.InsertIfAbsentAsync(pending, Ct);
        await store.InsertIfAbsentAsync(TestPayments.New(), Ct);
        var paid = TestPayments.New();
        await store.InsertIfAbsentAsync(paid, Ct);
        paid.Settle(TestPayments.Transaction(), TestPayments.Start.AddSeconds(30));
        Assert.Equal(SaveResult.Saved, await store.SaveAsync(paid, Ct));

        // Saved before seeding: already in the store's counts, so not counted twice.
        Created(TestPayments.New());
        await new PaymentStateSeeding(store, _metrics).StartingAsync(Ct);
        Assert.Equal((2, 1, 0), (Observe()["pending"], Observe()["paid"], Observe()["cancelled"]));

        pending.Cancel(TestPayments.Start.AddSeconds(40));
        var events = pending.UnsavedEvents.ToList();
        Assert.Equal(SaveResult.Saved, await store.SaveAsync(pending, Ct));
        _metrics.Saved(pending, events);

        var now = Observe();
        Assert.Equal((1, 1, 1), (now["pending"], now["paid"], now["cancelled"]));
        Assert.Equal(
            now.ToDictionary(kv => kv.Key, kv => kv.Value),
            (await store.CountByStateAsync(Ct)).ToDictionary(kv => PaymentStateNames.Of(kv.Key), kv => kv.Value));
    }

    [Fact]
    public async Task The_store_counts_every_state_zero_included()
    {
        using var dir = new TempDirectory();
        using var store = new LiteDbPaymentStore(dir.File("bakong.db"));
        Assert.All(await store.CountByStateAsync(Ct), kv => Assert.Equal(0, kv.Value));

        var expired = TestPayments.New();
        await store.InsertIfAbsentAsync(expired, Ct);
        await store.InsertIfAbsentAsync(TestPayments.New(), Ct);
        expired.Expire(s_afterExpiry);
        await store.SaveAsync(expired, Ct);

        var counts = await store.CountByStateAsync(Ct);
        Assert.Equal(Enum.GetValues<PaymentState>(), counts.Keys.Order());
        Assert.Equal((1, 1, 0), (counts[PaymentState.Pending], counts[PaymentState.Expired], counts[PaymentState.Paid]));
    }

    private Payment Created(Payment payment)
    {
        _metrics.Saved(payment, payment.Events);
        payment.AcceptChanges();
        return payment;
    }

    private List<PaymentEvent> Transition(Payment payment, Func<Payment, TransitionResult> change)
    {
        Assert.True(change(payment).IsApplied);
        var events = payment.UnsavedEvents.ToList();
        payment.AcceptChanges();
        _metrics.Saved(payment, events);
        return events;
    }

    private Dictionary<string, long> Observe()
    {
        _gauge.RecordObservableInstruments();
        var snapshot = _gauge.GetMeasurementSnapshot(clear: true);
        return snapshot.ToDictionary(m => (string)m.Tags["state"]!, m => m.Value);
    }
}
