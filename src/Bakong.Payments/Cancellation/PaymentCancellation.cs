using Bakong.Payments.Storage;
using Microsoft.Extensions.Logging;

namespace Bakong.Payments.Cancellation;

/// <summary>
/// The <c>CancelPayment</c> use case: the aggregate decides (<see cref="Payment.Cancel"/>), the save is optimistic, and
/// a save that lost a race with the poller is retried on what is stored now, so a settlement is never overwritten.
/// </summary>
public sealed class PaymentCancellation
{
    private const int MaxAttempts = 10;

    private readonly IPaymentStore _store;
    private readonly IPaymentChangeSink[] _changeSinks;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public PaymentCancellation(
        IPaymentStore store, IEnumerable<IPaymentChangeSink> changeSinks, TimeProvider timeProvider, ILogger<PaymentCancellation> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(changeSinks);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _changeSinks = [.. changeSinks];
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <exception cref="PaymentNotFoundException">No payment has this id.</exception>
    public async Task<CancelOutcome> CancelAsync(string paymentId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var payment = await _store.GetAsync(paymentId, cancellationToken).ConfigureAwait(false)
                ?? throw new PaymentNotFoundException(paymentId);
            var result = payment.Cancel(_timeProvider.GetUtcNow());
            switch (result.Outcome)
            {
                case TransitionOutcome.Unchanged:
                    return new CancelOutcome.Cancelled(payment);
                case TransitionOutcome.NotAllowed:
                    return new CancelOutcome.NotPending(payment);
            }

            var events = payment.UnsavedEvents.ToList();
            switch (await _store.SaveAsync(payment, cancellationToken).ConfigureAwait(false))
            {
                case SaveResult.Saved:
                    foreach (var sink in _changeSinks)
                    {
                        sink.Saved(payment, events);
                    }

                    PaymentLog.Cancelled(_logger, payment.Id, payment.TerminalId);
                    return new CancelOutcome.Cancelled(payment);
                case SaveResult.NotFound:
                    throw new PaymentNotFoundException(paymentId);
            }

            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException("Payment " + paymentId + " kept changing under the cancel; gave up after " + MaxAttempts + " attempts.");
            }
        }
    }
}

/// <summary>How a cancel went.</summary>
public abstract record CancelOutcome
{
    private CancelOutcome()
    {
    }

    /// <summary>The payment is cancelled now (by this call or an earlier one).</summary>
    public sealed record Cancelled(Payment Payment) : CancelOutcome;

    /// <summary>The payment settled otherwise first (paid, failed, expired, paid late): FAILED_PRECONDITION.</summary>
    public sealed record NotPending(Payment Payment) : CancelOutcome;
}
