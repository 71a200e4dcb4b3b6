using Bakong.Payments;
using Bakong.Payments.Storage;

namespace Bakong.Testing;

/// <summary>A store that passes every call to another; tests override the one call they want to intercept.</summary>
public abstract class DelegatingPaymentStore(IPaymentStore inner) : IPaymentStore
{
    protected IPaymentStore Inner { get; } = inner;

    public virtual Task<InsertResult> InsertIfAbsentAsync(Payment payment, int? maxPendingForTerminal, CancellationToken cancellationToken)
        => Inner.InsertIfAbsentAsync(payment, maxPendingForTerminal, cancellationToken);

    public virtual Task<Payment?> GetAsync(string paymentId, CancellationToken cancellationToken) => Inner.GetAsync(paymentId, cancellationToken);

    public virtual Task<Payment?> GetByRequestIdAsync(string requestId, CancellationToken cancellationToken) => Inner.GetByRequestIdAsync(requestId, cancellationToken);

    public virtual Task<Payment?> GetByMd5Async(string md5, CancellationToken cancellationToken) => Inner.GetByMd5Async(md5, cancellationToken);

    public virtual Task<SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken) => Inner.SaveAsync(payment, cancellationToken);

    public virtual Task<IReadOnlyList<Payment>> GetDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => Inner.GetDueAsync(now, limit, cancellationToken);

    public virtual Task<PendingCount> CountPendingAsync(string terminalId, int atMost, CancellationToken cancellationToken) =>
        Inner.CountPendingAsync(terminalId, atMost, cancellationToken);

    public virtual Task<IReadOnlyDictionary<PaymentState, long>> CountByStateAsync(CancellationToken cancellationToken) => Inner.CountByStateAsync(cancellationToken);

    public virtual Task<PaymentPage> ListAsync(PaymentQuery query, CancellationToken cancellationToken) => Inner.ListAsync(query, cancellationToken);

    public virtual Task<PaymentPage> ListExceptionsAsync(ExceptionQuery query, CancellationToken cancellationToken) => Inner.ListExceptionsAsync(query, cancellationToken);

    public virtual Task<IReadOnlyList<PendingOutboxEntry>> GetPendingOutboxAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Inner.GetPendingOutboxAsync(now, limit, cancellationToken);

    public virtual Task<DateTimeOffset?> GetNextOutboxDueAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        Inner.GetNextOutboxDueAsync(now, cancellationToken);

    public virtual Task<bool> MarkOutboxDeliveredAsync(string paymentId, string eventId, DateTimeOffset deliveredTime, CancellationToken cancellationToken) =>
        Inner.MarkOutboxDeliveredAsync(paymentId, eventId, deliveredTime, cancellationToken);

    public virtual Task<bool> RecordOutboxFailureAsync(string paymentId, string eventId, DateTimeOffset nextAttemptTime, string? failure, CancellationToken cancellationToken) =>
        Inner.RecordOutboxFailureAsync(paymentId, eventId, nextAttemptTime, failure, cancellationToken);
}
