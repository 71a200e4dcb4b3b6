namespace Bakong.Payments.Storage;

/// <summary>
/// Where payments live. One payment is one record holding its state, version, events, outbox and next check
/// time, so each transition is one atomic write. The embedded implementation is <see cref="LiteDbPaymentStore"/>;
/// a PostgreSQL one can implement the same contract (due checks with <c>FOR UPDATE SKIP LOCKED</c>).
/// </summary>
/// <remarks>
/// Implementations make <see cref="InsertIfAbsentAsync"/> and any save that carries an event (a transition or a
/// review flag) durable before they return; check bookkeeping and outbox delivery marks may be lost in a power cut
/// (the poller re-checks, the dispatcher re-delivers).
/// </remarks>
public interface IPaymentStore
{
    /// <summary>
    /// Inserts a new payment unless one with its request id exists, atomically: the store's unique index on the
    /// request id decides, so concurrent duplicates yield exactly one payment. Returns the one that is stored.
    /// </summary>
    /// <param name="payment">The new payment.</param>
    /// <param name="maxPendingForTerminal">
    /// When set, the pending cap of the payment's terminal, checked by the insert itself (no read ahead of it): with
    /// that many pending already, nothing is stored and the result is <see cref="InsertResult.Refused"/>. A replay of
    /// a request id is answered whatever the count (the payment it made is one of them).
    /// </param>
    /// <param name="cancellationToken">Cancels the wait; a write already under way still completes.</param>
    Task<InsertResult> InsertIfAbsentAsync(Payment payment, int? maxPendingForTerminal, CancellationToken cancellationToken);

    Task<Payment?> GetAsync(string paymentId, CancellationToken cancellationToken);

    Task<Payment?> GetByRequestIdAsync(string requestId, CancellationToken cancellationToken);

    Task<Payment?> GetByMd5Async(string md5, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the payment's changes if the store still holds <see cref="Payment.PersistedVersion"/>; otherwise
    /// <see cref="SaveResult.Conflict"/>: someone else changed it since it was read — read it again and re-apply.
    /// Outbox delivery state is the store's: a save never undoes <see cref="MarkOutboxDeliveredAsync"/>.
    /// </summary>
    Task<SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken);

    /// <summary>
    /// Payments whose next check time is at or before <paramref name="now"/> and that are pending or awaiting
    /// reconciliation (expired, cancelled), at most <paramref name="limit"/>, shared fairly between terminals: each
    /// terminal with due payments gets an equal share (what one leaves goes to the others), earliest due first within
    /// a terminal, and the list alternates between terminals. One terminal's flood never keeps another's payment out.
    /// </summary>
    Task<IReadOnlyList<Payment>> GetDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The pending payments of <paramref name="terminalId"/>, counted up to <paramref name="atMost"/>, and, when the
    /// count reaches it, the earliest expiry among them (when the first of them leaves): what a refused insert
    /// reports. It must not read the terminal's payments to count them (keep the count).
    /// </summary>
    Task<PendingCount> CountPendingAsync(string terminalId, int atMost, CancellationToken cancellationToken);

    /// <summary>
    /// How many payments are in each state, every state present (0 included), counted in one consistent read: the
    /// seed of the <c>bakong.payments.current</c> gauge at start.
    /// </summary>
    Task<IReadOnlyDictionary<PaymentState, long>> CountByStateAsync(CancellationToken cancellationToken);

    /// <summary>Payments newest first, filtered, one page at a time.</summary>
    Task<PaymentPage> ListAsync(PaymentQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// The exception queue: payments that need a person (<see cref="Payment.NeedsPerson"/>: flagged for review, or paid
    /// late, and not resolved), oldest first (creation time, then id), one page at a time. Served by an index of those
    /// payments alone, so a page costs the same however many payments the store holds (a partial index in SQL).
    /// </summary>
    Task<PaymentPage> ListExceptionsAsync(ExceptionQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Undelivered outbox entries due at <paramref name="now"/>, oldest due first, at most <paramref name="limit"/>,
    /// claimed for this store's caller: a store that several gateways share (PostgreSQL) hands an entry to one of them
    /// until it is marked (<see cref="MarkOutboxDeliveredAsync"/>, <see cref="RecordOutboxFailureAsync"/>) or its claim
    /// runs out (a replica that died), so each event is sent by one gateway; the same store answers its own claims
    /// again. A store of one process (LiteDB) has nobody to claim against.
    /// </summary>
    Task<IReadOnlyList<PendingOutboxEntry>> GetPendingOutboxAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// When <see cref="GetPendingOutboxAsync"/> will next have something for this caller: the earliest due time of an
    /// undelivered entry, or, for one another gateway claims at <paramref name="now"/>, the end of that claim; null
    /// when nothing is undelivered.
    /// </summary>
    Task<DateTimeOffset?> GetNextOutboxDueAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Marks an outbox entry delivered (and ends its claim). Unknown ids are ignored (returns false).</summary>
    Task<bool> MarkOutboxDeliveredAsync(string paymentId, string eventId, DateTimeOffset deliveredTime, CancellationToken cancellationToken);

    /// <summary>
    /// Records a failed delivery attempt and when to try again (and ends its claim: any gateway may retry it). Unknown
    /// ids are ignored (returns false).
    /// </summary>
    Task<bool> RecordOutboxFailureAsync(
        string paymentId, string eventId, DateTimeOffset nextAttemptTime, string? failure, CancellationToken cancellationToken);
}

/// <summary>The payment that is stored for a request id, and whether this call stored it.</summary>
public sealed record InsertResult(Payment Payment, bool Inserted)
{
    /// <summary>
    /// Set when the insert was refused at the terminal's pending cap: nothing was stored, <see cref="Payment"/> is the
    /// payment that was not, and this is the terminal's count (with the earliest expiry among its pending payments).
    /// </summary>
    public PendingCount? Refused { get; init; }

    /// <summary>The refusal of <paramref name="payment"/> at its terminal's pending cap.</summary>
    public static InsertResult RefusedAt(Payment payment, PendingCount pending) => new(payment, Inserted: false) { Refused = pending };
}

/// <summary>Inserts without a pending cap.</summary>
public static class PaymentStoreExtensions
{
    /// <summary>
    /// <see cref="IPaymentStore.InsertIfAbsentAsync(Payment, int?, CancellationToken)"/> without a pending cap: the
    /// payment is stored unless its request id is taken.
    /// </summary>
    public static Task<InsertResult> InsertIfAbsentAsync(this IPaymentStore store, Payment payment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.InsertIfAbsentAsync(payment, maxPendingForTerminal: null, cancellationToken);
    }
}

/// <summary>
/// Pending payments of one terminal, counted up to a limit; <see cref="EarliestExpiry"/> is set only when the count
/// reached the limit (and so the caller must wait for one to leave).
/// </summary>
public sealed record PendingCount(int Count, DateTimeOffset? EarliestExpiry);

/// <summary>How a save went.</summary>
public enum SaveResult
{
    Saved = 1,

    /// <summary>The stored version is not the one the payment was read at.</summary>
    Conflict = 2,

    NotFound = 3,
}

/// <summary>An outbox entry to deliver and the payment it describes (the payload is built from it).</summary>
public sealed record PendingOutboxEntry(Payment Payment, OutboxEntry Entry);

/// <summary>A filter and a page position for <see cref="IPaymentStore.ListAsync"/>.</summary>
public sealed record PaymentQuery
{
    public PaymentState? State { get; init; }

    public string? TerminalId { get; init; }

    /// <summary>Created at or after.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Created before.</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>1 to <see cref="PaymentLimits.MaxPageSize"/>.</summary>
    public int PageSize { get; init; } = PaymentLimits.DefaultPageSize;

    /// <summary>The previous page's <see cref="PaymentPage.NextPageToken"/>; null for the first page.</summary>
    public string? PageToken { get; init; }
}

/// <summary>A page position for <see cref="IPaymentStore.ListExceptionsAsync"/>.</summary>
public sealed record ExceptionQuery
{
    /// <summary>1 to <see cref="PaymentLimits.MaxPageSize"/>.</summary>
    public int PageSize { get; init; } = PaymentLimits.DefaultPageSize;

    /// <summary>The previous page's <see cref="PaymentPage.NextPageToken"/>; null for the first page.</summary>
    public string? PageToken { get; init; }
}

/// <summary>One page of payments; <see cref="NextPageToken"/> is null on the last.</summary>
public sealed record PaymentPage(IReadOnlyList<Payment> Payments, string? NextPageToken);
