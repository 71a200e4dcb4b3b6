using Bakong.Payments;
using Bakong.Payments.Storage;
using Bakong.Payments.Watching;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// The <c>CancelPayment</c> use case: the aggregate decides (<see cref="Payment.Cancel"/>), the save is optimistic, and
/// a save that lost a race with the poller is retried on what is stored now, so a settlement is never overwritten.
/// </summary>
internal sealed class PaymentCancellation(
    IPaymentStore store, IEnumerable<IPaymentChangeSink> changeSinks, TimeProvider timeProvider, ILogger<PaymentCancellation> logger)
{
    private const int MaxAttempts = 10;

    /// <exception cref="PaymentNotFoundException">No payment has this id.</exception>
    public async Task<CancelOutcome> CancelAsync(string paymentId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var payment = await store.GetAsync(paymentId, cancellationToken).ConfigureAwait(false)
                ?? throw new PaymentNotFoundException(paymentId);
            var result = payment.Cancel(timeProvider.GetUtcNow());
            switch (result.Outcome)
            {
                case TransitionOutcome.Unchanged:
                    return new CancelOutcome.Cancelled(payment);
                case TransitionOutcome.NotAllowed:
                    return new CancelOutcome.NotPending(payment);
            }

            var events = payment.UnsavedEvents.ToList();
            switch (await store.SaveAsync(payment, cancellationToken).ConfigureAwait(false))
            {
                case SaveResult.Saved:
                    foreach (var sink in changeSinks)
                    {
                        sink.Saved(payment, events);
                    }

                    GatewayLog.PaymentCancelled(logger, payment.Id, payment.TerminalId);
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
internal abstract record CancelOutcome
{
    private CancelOutcome()
    {
    }

    /// <summary>The payment is cancelled now (by this call or an earlier one).</summary>
    public sealed record Cancelled(Payment Payment) : CancelOutcome;

    /// <summary>The payment settled otherwise first (paid, failed, expired, paid late): FAILED_PRECONDITION.</summary>
    public sealed record NotPending(Payment Payment) : CancelOutcome;
}
