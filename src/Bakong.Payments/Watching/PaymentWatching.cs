using Bakong.Payments.Storage;

namespace Bakong.Payments.Watching;

/// <summary>
/// The <c>WatchPayment</c> use case: checks where the client says it is against the stored payment, then streams the
/// payment's changes from the <see cref="PaymentWatchHub"/>.
/// </summary>
public sealed class PaymentWatching
{
    private readonly IPaymentStore _store;
    private readonly PaymentWatchHub _hub;

    public PaymentWatching(IPaymentStore store, PaymentWatchHub hub)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(hub);
        _store = store;
        _hub = hub;
    }

    /// <summary>
    /// Starts watching <paramref name="paymentId"/> for a client that has its version <paramref name="afterVersion"/>
    /// (0 for none): the stream of <see cref="PaymentWatchHub.WatchAsync"/>, or the violation when the client claims a
    /// version that is negative or ahead of the stored one (named <c>after_version</c>).
    /// </summary>
    /// <exception cref="PaymentNotFoundException">No payment has this id.</exception>
    public async Task<WatchResult> WatchAsync(string paymentId, long afterVersion, CancellationToken cancellationToken)
    {
        if (afterVersion < 0)
        {
            return new WatchResult.Invalid([new FieldViolation("after_version", "must not be negative")]);
        }

        var current = await _store.GetAsync(paymentId, cancellationToken).ConfigureAwait(false)
            ?? throw new PaymentNotFoundException(paymentId);
        if (afterVersion > current.Version)
        {
            return new WatchResult.Invalid([new FieldViolation("after_version", "greater than the payment's version " + current.Version)]);
        }

        return new WatchResult.Watching(current, _hub.WatchAsync(paymentId, afterVersion, cancellationToken));
    }
}

/// <summary>How a watch request went.</summary>
public abstract record WatchResult
{
    private WatchResult()
    {
    }

    /// <summary>
    /// The payment as read when the watch began, and the stream: it ends after a terminal state, or (without one) when
    /// the application stops.
    /// </summary>
    public sealed record Watching(Payment Current, IAsyncEnumerable<PaymentSnapshot> Snapshots) : WatchResult;

    /// <summary>Bad input (INVALID_ARGUMENT), the field named.</summary>
    public sealed record Invalid(IReadOnlyList<FieldViolation> Violations) : WatchResult;
}
