using Bakong.Payments.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Payments.Writing;

/// <summary>
/// The one write path for every change of a payment, whoever makes it (creation, a cancel, the poller): apply a
/// transition to the payment as read, save it, and when the save lost an optimistic-concurrency race, read it again and
/// apply the same transition to what is stored, at most <see cref="MaxAttempts"/> times. After each save, and after the
/// insert of a new payment, every <see cref="IPaymentChangeSink"/> is told, here and nowhere else.
/// </summary>
/// <remarks>
/// <para>
/// The caller's own record of a saved change (its log lines) is written by its <c>saved</c> callback, after the save and
/// before the sinks are told: whoever a sink wakes (a watch stream, a webhook) finds the change already logged.
/// </para>
/// <para>
/// The sinks are told only once the change is durable, so a caller that sees success saw a stored change. A sink that
/// throws despite <see cref="IPaymentChangeSink"/>'s contract is logged and skipped: the change is stored and the
/// caller must hear so, and the sinks after it (a watch stream, the displays) must hear of the change all the same.
/// </para>
/// <para>
/// Re-applying on what is stored is what keeps a settlement from being overwritten: the aggregate decides again on the
/// current state (a cancel finds the payment paid and is refused; money found for a payment cancelled meanwhile makes
/// it paid late), so the caller's transition must be a function of the payment it is given, not of the one it read.
/// </para>
/// </remarks>
internal sealed class PaymentWriter
{
    /// <summary>
    /// Saves tried per change. A conflict means another writer saved the payment between the read and the save; the
    /// poller saves a payment once per pass and a cancel once, so a race is settled in two or three attempts, and a
    /// change that still conflicts after this many throws <see cref="PaymentConflictException"/> rather than loop.
    /// </summary>
    public const int MaxAttempts = 10;

    private readonly IPaymentStore _store;
    private readonly IPaymentChangeSink[] _sinks;
    private readonly ILogger _logger;

    public PaymentWriter(IPaymentStore store, IEnumerable<IPaymentChangeSink> sinks, ILogger<PaymentWriter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(sinks);
        _store = store;
        _sinks = [.. sinks];
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Stores a new payment without a pending cap: <see cref="InsertAsync(Payment, int?, Action{Payment}?, CancellationToken)"/>.</summary>
    public Task<InsertResult> InsertAsync(Payment payment, Action<Payment>? inserted, CancellationToken cancellationToken)
        => InsertAsync(payment, maxPendingForTerminal: null, inserted, cancellationToken);

    /// <summary>
    /// Stores a new payment unless one with its request id exists, or, with <paramref name="maxPendingForTerminal"/>,
    /// its terminal has that many pending (<see cref="IPaymentStore.InsertIfAbsentAsync"/>); when this call stored it,
    /// calls <paramref name="inserted"/>, then tells the sinks.
    /// </summary>
    public async Task<InsertResult> InsertAsync(
        Payment payment, int? maxPendingForTerminal, Action<Payment>? inserted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var events = payment.UnsavedEvents.ToList();
        var result = await _store.InsertIfAbsentAsync(payment, maxPendingForTerminal, cancellationToken).ConfigureAwait(false);
        if (result.Inserted)
        {
            inserted?.Invoke(result.Payment);
            Publish(result.Payment, events);
        }

        return result;
    }

    /// <summary>Reads the payment, then changes it as <see cref="ChangeAsync(Payment, Func{Payment, TransitionResult}, Action{WriteOutcome.Saved}?, CancellationToken)"/>.</summary>
    public async Task<WriteOutcome> ChangeAsync(
        string paymentId, Func<Payment, TransitionResult> apply, Action<WriteOutcome.Saved>? saved, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(paymentId);
        var payment = await _store.GetAsync(paymentId, cancellationToken).ConfigureAwait(false);
        return payment is null
            ? new WriteOutcome.NotFound(paymentId)
            : await ChangeAsync(payment, apply, saved, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies <paramref name="apply"/> to <paramref name="read"/> (a payment as the store returned it, e.g. in the
    /// poller's batch) and saves it if that changed anything. <paramref name="apply"/> is called once per attempt: again
    /// with the payment read anew after a conflict. <paramref name="saved"/> is called once the save went through,
    /// before the sinks are told.
    /// </summary>
    /// <exception cref="PaymentConflictException">Every one of <see cref="MaxAttempts"/> saves lost a race; nothing was saved.</exception>
    public async Task<WriteOutcome> ChangeAsync(
        Payment read, Func<Payment, TransitionResult> apply, Action<WriteOutcome.Saved>? saved, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(apply);
        if (read.HasUnsavedChanges)
        {
            throw new ArgumentException("Payment " + read.Id + " has unsaved changes: pass it as the store returned it.", nameof(read));
        }

        var payment = read;
        for (var attempt = 1; ; attempt++)
        {
            var result = apply(payment);
            if (!payment.HasUnsavedChanges)
            {
                return result.Outcome == TransitionOutcome.NotAllowed
                    ? new WriteOutcome.NotAllowed(payment, result.Reason ?? "not allowed")
                    : new WriteOutcome.Unchanged(payment);
            }

            var events = payment.UnsavedEvents.ToList();
            switch (await _store.SaveAsync(payment, cancellationToken).ConfigureAwait(false))
            {
                case SaveResult.Saved:
                    var outcome = new WriteOutcome.Saved(payment, events);
                    saved?.Invoke(outcome);
                    Publish(payment, events);
                    return outcome;
                case SaveResult.NotFound:
                    return new WriteOutcome.NotFound(payment.Id);
            }

            if (attempt == MaxAttempts)
            {
                throw new PaymentConflictException(payment.Id, attempt);
            }

            var stored = await _store.GetAsync(payment.Id, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return new WriteOutcome.NotFound(payment.Id);
            }

            payment = stored;
        }
    }

    private void Publish(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        foreach (var sink in _sinks)
        {
            try
            {
                sink.Saved(payment, events);
            }
#pragma warning disable CA1031 // The change is durable: a sink's bug must neither fail it for the caller nor hide it from the other sinks.
            catch (Exception e)
#pragma warning restore CA1031
            {
                PaymentLog.SinkFailed(_logger, sink.GetType().Name, payment.Id, payment.Version, e);
            }
        }
    }
}

/// <summary>How a change went.</summary>
internal abstract record WriteOutcome
{
    private WriteOutcome()
    {
    }

    /// <summary>Saved with <see cref="Events"/> appended (none for check bookkeeping), and published.</summary>
    public sealed record Saved(Payment Payment, IReadOnlyList<PaymentEvent> Events) : WriteOutcome;

    /// <summary>The transition changed nothing: the payment already reflects it. Nothing saved or published.</summary>
    public sealed record Unchanged(Payment Payment) : WriteOutcome;

    /// <summary>The state machine refused the transition (<see cref="Reason"/>). Nothing saved or published.</summary>
    public sealed record NotAllowed(Payment Payment, string Reason) : WriteOutcome;

    /// <summary>No payment has this id (or it disappeared between the read and the save).</summary>
    public sealed record NotFound(string PaymentId) : WriteOutcome;
}
