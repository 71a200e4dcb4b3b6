using Bakong.Payments;
using Bakong.Payments.Storage;
using Bakong.Testing;

namespace Bakong.Gateway.Tests.Support;

/// <summary>What kind of write a <see cref="RecordingPaymentStore"/> saw go through.</summary>
internal enum StoreWriteKind
{
    Inserted,
    Saved,
    OutboxDelivered,
    OutboxFailed,
}

/// <summary>One write the real store accepted: the payment as saved, or the outbox entry marked.</summary>
internal sealed record StoreWrite(
    StoreWriteKind Kind, string PaymentId, PaymentSnapshot? Payment = null, string? EventId = null, DateTimeOffset? NextAttemptTime = null);

/// <summary>
/// The gateway's real LiteDB store with every accepted write recorded, so a test can wait for "the poller saved this
/// payment as PAID_LATE" or "the dispatcher recorded the failed attempt" instead of sleeping. Nothing is changed on
/// the way through.
/// </summary>
internal sealed class RecordingPaymentStore(IPaymentStore inner) : DelegatingPaymentStore(inner)
{
    private readonly Lock _gate = new();
    private readonly List<StoreWrite> _writes = [];
    private readonly List<(Func<StoreWrite, bool> Match, TaskCompletionSource<StoreWrite> Signal)> _waiters = [];

    public IReadOnlyList<StoreWrite> Writes
    {
        get
        {
            lock (_gate)
            {
                return [.. _writes];
            }
        }
    }

    /// <summary>
    /// The first write, past (from the <paramref name="skip"/>th on) or future, that matches; fails after
    /// <see cref="GatewayFactory.Timeout"/>.
    /// </summary>
    public Task<StoreWrite> WaitForAsync(Func<StoreWrite, bool> match, int skip = 0)
    {
        lock (_gate)
        {
            foreach (var write in _writes.Skip(skip))
            {
                if (match(write))
                {
                    return Task.FromResult(write);
                }
            }

            var signal = new TaskCompletionSource<StoreWrite>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, signal));
            return signal.Task.WaitAsync(GatewayFactory.Timeout, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The first save of <paramref name="paymentId"/> whose stored payment matches.</summary>
    public async Task<PaymentSnapshot> SavedAsync(string paymentId, Func<PaymentSnapshot, bool> match) =>
        (await WaitForAsync(w => w.Kind == StoreWriteKind.Saved && w.PaymentId == paymentId && match(w.Payment!)).ConfigureAwait(false)).Payment!;

    public override async Task<InsertResult> InsertIfAbsentAsync(Payment payment, int? maxPendingForTerminal, CancellationToken cancellationToken)
    {
        var result = await base.InsertIfAbsentAsync(payment, maxPendingForTerminal, cancellationToken).ConfigureAwait(false);
        if (result.Inserted)
        {
            Record(new StoreWrite(StoreWriteKind.Inserted, payment.Id, payment.ToSnapshot()));
        }

        return result;
    }

    public override async Task<SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken)
    {
        var result = await base.SaveAsync(payment, cancellationToken).ConfigureAwait(false);
        if (result == SaveResult.Saved)
        {
            Record(new StoreWrite(StoreWriteKind.Saved, payment.Id, payment.ToSnapshot()));
        }

        return result;
    }

    public override async Task<bool> MarkOutboxDeliveredAsync(
        string paymentId, string eventId, DateTimeOffset deliveredTime, CancellationToken cancellationToken)
    {
        var marked = await base.MarkOutboxDeliveredAsync(paymentId, eventId, deliveredTime, cancellationToken).ConfigureAwait(false);
        if (marked)
        {
            Record(new StoreWrite(StoreWriteKind.OutboxDelivered, paymentId, EventId: eventId));
        }

        return marked;
    }

    public override async Task<bool> RecordOutboxFailureAsync(
        string paymentId, string eventId, DateTimeOffset nextAttemptTime, string? failure, CancellationToken cancellationToken)
    {
        var recorded = await base.RecordOutboxFailureAsync(paymentId, eventId, nextAttemptTime, failure, cancellationToken).ConfigureAwait(false);
        if (recorded)
        {
            Record(new StoreWrite(StoreWriteKind.OutboxFailed, paymentId, EventId: eventId, NextAttemptTime: nextAttemptTime));
        }

        return recorded;
    }

    private void Record(StoreWrite write)
    {
        List<TaskCompletionSource<StoreWrite>> woken = [];
        lock (_gate)
        {
            _writes.Add(write);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(write))
                {
                    woken.Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var signal in woken)
        {
            signal.TrySetResult(write);
        }
    }
}
