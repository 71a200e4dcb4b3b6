using Bakong.Payments.Storage;
using Bakong.Payments.Writing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Bakong.Payments.Tests.Writing;

/// <summary>The one write path: apply, save, re-read and re-apply on a conflict, publish exactly once per saved change.</summary>
public sealed class PaymentWriterTests : IDisposable
{
    private static readonly DateTimeOffset s_now = TestPayments.Start.AddSeconds(30);

    private readonly TempDirectory _dir = new();
    private readonly LiteDbPaymentStore _inner;
    private readonly RacingStore _store;
    private readonly RecordingSink _first = new();
    private readonly RecordingSink _second = new();
    private readonly PaymentWriter _writer;

    public PaymentWriterTests()
    {
        _inner = new LiteDbPaymentStore(_dir.File("bakong.db"));
        _store = new RacingStore(_inner);
        _writer = new PaymentWriter(_store, [_first, _second]);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _inner.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_saved_change_is_published_once_to_every_sink_with_the_events_it_appended()
    {
        var payment = await InsertAsync();

        var outcome = await _writer.ChangeAsync(payment.Id, p => p.Cancel(s_now), null, Ct);

        var saved = Assert.IsType<WriteOutcome.Saved>(outcome);
        Assert.Equal(PaymentState.Cancelled, saved.Payment.State);
        Assert.False(saved.Payment.HasUnsavedChanges);
        Assert.Equal([PaymentEventType.Cancelled], saved.Events.Select(e => e.Type));
        foreach (var sink in new[] { _first, _second })
        {
            var (published, events) = Assert.Single(sink.Calls);
            Assert.Equal((payment.Id, PaymentState.Cancelled), (published.Id, published.State));
            Assert.Equal([PaymentEventType.Cancelled], events.Select(e => e.Type));
        }

        Assert.Equal(PaymentState.Cancelled, (await _inner.GetAsync(payment.Id, Ct))!.State);
    }

    [Fact]
    public async Task Check_bookkeeping_is_saved_and_published_with_no_events()
    {
        var payment = await InsertAsync();

        var outcome = await _writer.ChangeAsync(payment, p => p.RecordCheck(s_now, s_now.AddSeconds(2)), null, Ct);

        Assert.Empty(Assert.IsType<WriteOutcome.Saved>(outcome).Events);
        Assert.Empty(Assert.Single(_first.Calls).Events);
    }

    [Fact]
    public async Task A_conflict_reads_the_payment_again_and_applies_the_change_to_what_is_stored()
    {
        var payment = await InsertAsync();

        // The poller saves its check bookkeeping between this read and this save.
        _store.BeforeNextSave = async () => await SaveDirectlyAsync(payment.Id, p => p.RecordCheck(s_now, s_now.AddSeconds(2)));
        var applied = new List<(Payment Payment, long Version)>();

        var outcome = await _writer.ChangeAsync(
            payment,
            p =>
            {
                applied.Add((p, p.Version));
                return p.Cancel(s_now);
            },
            null,
            Ct);

        var saved = Assert.IsType<WriteOutcome.Saved>(outcome);
        Assert.Equal([1L, 2L], applied.Select(a => a.Version)); // the first try as read, the second as stored
        Assert.Same(payment, applied[0].Payment);
        Assert.NotSame(payment, applied[1].Payment);
        Assert.Equal((PaymentState.Cancelled, 1), (saved.Payment.State, saved.Payment.CheckCount)); // the check kept
        Assert.Single(_first.Calls);
        Assert.Single(_second.Calls);
    }

    [Fact]
    public async Task A_conflict_with_a_settlement_is_decided_again_and_never_overwrites_it()
    {
        var payment = await InsertAsync();
        _store.BeforeNextSave = async () => await SaveDirectlyAsync(payment.Id, p => p.Settle(TestPayments.Transaction(), s_now));

        var outcome = await _writer.ChangeAsync(payment.Id, p => p.Cancel(s_now), null, Ct);

        var refused = Assert.IsType<WriteOutcome.NotAllowed>(outcome);
        Assert.Equal(PaymentState.Paid, refused.Payment.State);
        Assert.Contains("Paid", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(PaymentState.Paid, (await _inner.GetAsync(payment.Id, Ct))!.State);
        Assert.Empty(_first.Calls);
    }

    [Fact]
    public async Task A_change_that_conflicts_on_every_attempt_throws_a_conflict_after_the_limit_and_publishes_nothing()
    {
        var payment = await InsertAsync();
        _store.AlwaysConflict = true;
        var applied = 0;

        var conflict = await Assert.ThrowsAsync<PaymentConflictException>(
            () => _writer.ChangeAsync(payment.Id, p => { applied++; return p.Cancel(s_now); }, null, Ct));

        Assert.Equal((payment.Id, PaymentWriter.MaxAttempts), (conflict.PaymentId, conflict.Attempts));
        Assert.Equal((PaymentWriter.MaxAttempts, PaymentWriter.MaxAttempts), (applied, _store.Saves));
        Assert.Empty(_first.Calls);
        Assert.Equal(PaymentState.Pending, (await _inner.GetAsync(payment.Id, Ct))!.State);
    }

    [Fact]
    public async Task An_unchanged_or_refused_transition_is_neither_saved_nor_published()
    {
        var cancelled = await InsertAsync();
        Assert.IsType<WriteOutcome.Saved>(await _writer.ChangeAsync(cancelled.Id, p => p.Cancel(s_now), null, Ct));
        var paid = await InsertAsync();
        Assert.IsType<WriteOutcome.Saved>(await _writer.ChangeAsync(paid.Id, p => p.Settle(TestPayments.Transaction(), s_now), null, Ct));
        _first.Calls.Clear();
        var saves = _store.Saves;

        var again = await _writer.ChangeAsync(cancelled.Id, p => p.Cancel(s_now.AddSeconds(1)), null, Ct);
        var refused = await _writer.ChangeAsync(paid.Id, p => p.Cancel(s_now.AddSeconds(1)), null, Ct);

        Assert.Equal(PaymentState.Cancelled, Assert.IsType<WriteOutcome.Unchanged>(again).Payment.State);
        Assert.Equal("cannot cancel a payment that is Paid", Assert.IsType<WriteOutcome.NotAllowed>(refused).Reason);
        Assert.Equal(saves, _store.Saves);
        Assert.Empty(_first.Calls);
    }

    [Fact]
    public async Task An_unknown_payment_is_not_found_and_nothing_is_applied()
    {
        var applied = false;

        var outcome = await _writer.ChangeAsync("no-such-payment", p => { applied = true; return p.Cancel(s_now); }, null, Ct);

        Assert.Equal("no-such-payment", Assert.IsType<WriteOutcome.NotFound>(outcome).PaymentId);
        Assert.False(applied);
        Assert.Empty(_first.Calls);
    }

    [Fact]
    public async Task A_payment_with_unsaved_changes_is_refused_rather_than_saved_half_known()
    {
        var payment = await InsertAsync();
        payment.Cancel(s_now);

        await Assert.ThrowsAsync<ArgumentException>(() => _writer.ChangeAsync(payment, p => p.Cancel(s_now), null, Ct));
    }

    [Fact]
    public async Task An_insert_publishes_the_creation_once_and_a_duplicate_request_publishes_nothing()
    {
        var payment = TestPayments.New(requestId: "req-dup");

        var told = new List<Payment>();

        var inserted = await _writer.InsertAsync(payment, told.Add, Ct);
        var duplicate = await _writer.InsertAsync(TestPayments.New(requestId: "req-dup"), told.Add, Ct);

        Assert.True(inserted.Inserted);
        Assert.False(duplicate.Inserted);
        Assert.Equal(payment.Id, duplicate.Payment.Id);
        var (published, events) = Assert.Single(_first.Calls);
        Assert.Same(payment, published);
        Assert.Equal([PaymentEventType.Created], events.Select(e => e.Type));
        Assert.Same(payment, Assert.Single(told));
    }

    [Fact]
    public async Task The_callers_record_of_a_saved_change_comes_before_the_sinks_are_told()
    {
        var payment = await InsertAsync();
        var order = new List<string>();
        var writer = new PaymentWriter(_store, [new OrderSink(order)]);

        await writer.ChangeAsync(payment.Id, p => p.Cancel(s_now), saved => order.Add("saved " + saved.Payment.State), Ct);
        await writer.InsertAsync(TestPayments.New(), p => order.Add("inserted " + p.State), Ct);

        Assert.Equal(["saved Cancelled", "sink Cancelled", "inserted Pending", "sink Pending"], order);
    }

    [Fact]
    public async Task A_sink_that_throws_is_logged_and_neither_fails_the_stored_change_nor_keeps_the_next_sink_from_hearing_of_it()
    {
        var logger = new FakeLogger<PaymentWriter>();
        var writer = new PaymentWriter(_store, [new ThrowingSink(), _second], logger);
        var payment = TestPayments.New();

        var inserted = await writer.InsertAsync(payment, null, Ct);
        var changed = await writer.ChangeAsync(payment.Id, p => p.Cancel(s_now), null, Ct);

        Assert.True(inserted.Inserted);
        Assert.IsType<WriteOutcome.Saved>(changed);
        Assert.Equal([PaymentState.Pending, PaymentState.Cancelled], _second.Calls.Select(c => c.Payment.State));
        Assert.Equal(PaymentState.Cancelled, (await _inner.GetAsync(payment.Id, Ct))!.State);
        var logged = logger.Collector.GetSnapshot();
        Assert.Equal(2, logged.Count);
        Assert.All(logged, record =>
        {
            Assert.Equal((2006, LogLevel.Error), (record.Id.Id, record.Level));
            Assert.IsType<InvalidOperationException>(record.Exception);
            Assert.Contains(payment.Id, record.Message, StringComparison.Ordinal);
        });
    }

    private async Task<Payment> InsertAsync()
    {
        var payment = TestPayments.New();
        Assert.True((await _inner.InsertIfAbsentAsync(payment, Ct)).Inserted);
        return (await _inner.GetAsync(payment.Id, Ct))!;
    }

    /// <summary>Another writer's change, straight to the store.</summary>
    private async Task SaveDirectlyAsync(string paymentId, Func<Payment, TransitionResult> change)
    {
        var payment = (await _inner.GetAsync(paymentId, Ct))!;
        Assert.True(change(payment).IsApplied);
        Assert.Equal(SaveResult.Saved, await _inner.SaveAsync(payment, Ct));
    }

    private sealed class ThrowingSink : IPaymentChangeSink
    {
        public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events) => throw new InvalidOperationException("a sink with a bug");
    }

    private sealed class OrderSink(List<string> order) : IPaymentChangeSink
    {
        public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events) => order.Add("sink " + payment.State);
    }

    private sealed class RecordingSink : IPaymentChangeSink
    {
        public List<(Payment Payment, IReadOnlyList<PaymentEvent> Events)> Calls { get; } = [];

        public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events) => Calls.Add((payment, [.. events]));
    }

    /// <summary>Counts saves; can let another writer in before the next save, or refuse every save as a conflict.</summary>
    private sealed class RacingStore(IPaymentStore inner) : DelegatingPaymentStore(inner)
    {
        public Func<Task>? BeforeNextSave { get; set; }

        public bool AlwaysConflict { get; set; }

        public int Saves { get; private set; }

        public override async Task<SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken)
        {
            Saves++;
            if (BeforeNextSave is { } before)
            {
                BeforeNextSave = null;
                await before();
            }

            return AlwaysConflict ? SaveResult.Conflict : await Inner.SaveAsync(payment, cancellationToken);
        }
    }
}
