using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Bakong.Payments.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Payments.Watching;

/// <summary>
/// Fans saved payment changes out to the streams watching them (<c>WatchPayment</c>). Whoever saves a change —
/// creation, cancel, the poller, the reconciler — has <see cref="Publish(Payment)"/> called after the save (by
/// <see cref="PaymentWatchWakeup"/>, only for saves that appended an event, not check bookkeeping); each stream reads
/// the store once when it starts and is then woken only by published changes to its own payment.
/// </summary>
/// <remarks>
/// <para>
/// A stream shows the current snapshot (unless the client already has its version), then every change with a higher
/// version, and completes after it has shown a terminal state. That includes <see cref="PaymentState.Expired"/>
/// and <see cref="PaymentState.Cancelled"/>, as the <c>WatchPayment</c> contract in payment_service.proto says, even
/// though reconciliation may later turn them into <see cref="PaymentState.PaidLate"/>: a client that wants to hear
/// about late money watches again with its version (and is shown the change only once it has happened), or reads it
/// from the webhook.
/// </para>
/// <para>
/// Back-pressure is "latest wins" per stream (<see cref="WatchMailbox"/>): <see cref="Publish(PaymentSnapshot)"/>
/// never waits for a reader, a slow reader skips intermediate versions (clients must expect gaps anyway: check
/// bookkeeping bumps the version without being published), and a terminal snapshot is never skipped. Nothing here
/// assumes consecutive versions: a stream only compares them (what it has shown against what is offered).
/// </para>
/// <para>
/// A stream ends with <see cref="OperationCanceledException"/> when its caller's token is cancelled and completes
/// normally when the application stops. Nothing is stored here beyond the live subscriptions.
/// </para>
/// </remarks>
public sealed class PaymentWatchHub
{
    /// <summary>The meter behind <c>bakong.payments.watchers</c>.</summary>
    public const string MeterName = "Bakong.Payments";

    private readonly IPaymentStore _store;
    private readonly CancellationToken _stopping;
    private readonly ILogger _logger;
    private readonly UpDownCounter<int>? _watchers;
    private readonly Lock _gate = new();

    // Copy-on-write arrays: Publish takes the array under the lock and offers outside it.
    private readonly Dictionary<string, WatchMailbox[]> _subscribers = new(StringComparer.Ordinal);
    private int _count;

    public PaymentWatchHub(
        IPaymentStore store,
        IHostApplicationLifetime lifetime,
        IMeterFactory? meterFactory = null,
        ILogger<PaymentWatchHub>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(lifetime);
        _store = store;
        _stopping = lifetime.ApplicationStopping;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _watchers = meterFactory?.Create(MeterName).CreateUpDownCounter<int>(
            "bakong.payments.watchers",
            unit: "{watcher}",
            description: "WatchPayment streams open now.");
    }

    /// <summary>Streams open now, over all payments.</summary>
    internal int WatcherCount => Volatile.Read(ref _count);

    /// <summary>Payments with at least one stream open now.</summary>
    internal int WatchedPaymentCount
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Whether any stream watches this payment now: a change another replica saved is read only then.</summary>
    internal bool IsWatched(string paymentId)
    {
        lock (_gate)
        {
            return _subscribers.ContainsKey(paymentId);
        }
    }

    /// <summary>The payments with a stream open now, for a change feed that may have missed changes to read them again.</summary>
    internal string[] WatchedPaymentIds()
    {
        lock (_gate)
        {
            return [.. _subscribers.Keys];
        }
    }

    /// <summary>
    /// Wakes the streams watching this payment. Call it after the store saved the change
    /// (<see cref="IPaymentStore.SaveAsync"/> returned <see cref="SaveResult.Saved"/>), never before: watchers must
    /// only see what is durable.
    /// </summary>
    /// <exception cref="InvalidOperationException">The payment has unsaved changes.</exception>
    public void Publish(Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        if (payment.HasUnsavedChanges)
        {
            throw new InvalidOperationException(
                "Payment " + payment.Id + " has unsaved changes: publish it after the store saved it.");
        }

        Publish(payment.ToSnapshot());
    }

    /// <inheritdoc cref="Publish(Payment)"/>
    public void Publish(PaymentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        WatchMailbox[]? mailboxes;
        lock (_gate)
        {
            _subscribers.TryGetValue(snapshot.Id, out mailboxes);
        }

        if (mailboxes is null)
        {
            return;
        }

        foreach (var mailbox in mailboxes)
        {
            mailbox.Offer(snapshot);
        }
    }

    /// <summary>
    /// The payment as it is now (skipped when <paramref name="afterVersion"/> is at or past its version), then each
    /// saved change with a higher version, until a terminal state has been shown or the application stops.
    /// </summary>
    /// <param name="paymentId">The payment to watch.</param>
    /// <param name="afterVersion">
    /// The version the client already has; 0 for none. When it is lower than the stored version, the stream starts with
    /// the payment as it is now, even if only unpublished bookkeeping changed since. Changes are those after the stored
    /// version even when the client claims a later one (unsynced bookkeeping versions can be lost in a power cut), so a
    /// transition is never skipped.
    /// </param>
    /// <param name="cancellationToken">The call's token; cancelling it ends the stream with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="PaymentNotFoundException">On the first read, when no payment has this id.</exception>
    public IAsyncEnumerable<PaymentSnapshot> WatchAsync(string paymentId, long afterVersion, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(paymentId);
        ArgumentOutOfRangeException.ThrowIfNegative(afterVersion);
        return WatchCoreAsync(paymentId, afterVersion, cancellationToken);
    }

    internal static bool IsTerminal(PaymentState state) => state is not PaymentState.Pending;

    private async IAsyncEnumerable<PaymentSnapshot> WatchCoreAsync(
        string paymentId, long afterVersion, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
        WatchLog.Started(_logger, paymentId, afterVersion);

        // Subscribe before reading: a change saved while the read runs is then in the mailbox, not lost, and
        // Skip drops it if the read already saw it.
        var mailbox = Subscribe(paymentId);
        var end = WatchEnd.Abandoned;
        var shown = afterVersion;
        try
        {
            Payment? payment;
            try
            {
                payment = await _store.GetAsync(paymentId, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (IsStoppingOnly(cancellationToken))
            {
                end = WatchEnd.Stopping;
                yield break;
            }

            if (payment is null)
            {
                end = WatchEnd.NotFound;
                throw new PaymentNotFoundException(paymentId);
            }

            var current = payment.ToSnapshot();
            mailbox.Skip(current.Version);
            if (afterVersion < current.Version)
            {
                shown = current.Version;
                yield return current;
            }

            if (IsTerminal(current.State))
            {
                end = WatchEnd.Terminal;
                yield break;
            }

            while (true)
            {
                PaymentSnapshot next;
                try
                {
                    next = await mailbox.TakeAsync(stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (IsStoppingOnly(cancellationToken))
                {
                    end = WatchEnd.Stopping;
                    yield break;
                }

                shown = next.Version;
                yield return next;
                if (IsTerminal(next.State))
                {
                    end = WatchEnd.Terminal;
                    yield break;
                }
            }
        }
        finally
        {
            Unsubscribe(mailbox);
            if (end == WatchEnd.Abandoned && cancellationToken.IsCancellationRequested)
            {
                end = WatchEnd.Cancelled;
            }

            WatchLog.Ended(_logger, paymentId, shown, end);
        }
    }

    // The caller's own cancellation propagates as OperationCanceledException; the application stopping completes
    // the stream (the gRPC service then ends it with UNAVAILABLE, as the WatchPayment contract in payment_service.proto
    // says).
    private bool IsStoppingOnly(CancellationToken cancellationToken) =>
        _stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested;

    private WatchMailbox Subscribe(string paymentId)
    {
        var mailbox = new WatchMailbox(paymentId);
        lock (_gate)
        {
            _subscribers[paymentId] = _subscribers.TryGetValue(paymentId, out var existing) ? [.. existing, mailbox] : [mailbox];
            _count++;
        }

        _watchers?.Add(1);
        return mailbox;
    }

    private void Unsubscribe(WatchMailbox mailbox)
    {
        lock (_gate)
        {
            if (!_subscribers.TryGetValue(mailbox.PaymentId, out var existing))
            {
                return;
            }

            var index = Array.IndexOf(existing, mailbox);
            if (index < 0)
            {
                return;
            }

            if (existing.Length == 1)
            {
                _subscribers.Remove(mailbox.PaymentId);
            }
            else
            {
                var remaining = new WatchMailbox[existing.Length - 1];
                Array.Copy(existing, 0, remaining, 0, index);
                Array.Copy(existing, index + 1, remaining, index, existing.Length - index - 1);
                _subscribers[mailbox.PaymentId] = remaining;
            }

            _count--;
        }

        _watchers?.Add(-1);
    }
}
