using Bakong.Payments.Writing;
using Microsoft.Extensions.Logging;

namespace Bakong.Payments.Cancellation;

/// <summary>
/// The <c>CancelPayment</c> use case: the aggregate decides (<see cref="Payment.Cancel"/>) and the
/// <see cref="PaymentWriter"/> saves; a save that lost a race with the poller is decided again on what is stored now, so
/// a settlement is never overwritten.
/// </summary>
public sealed class PaymentCancellation
{
    private readonly PaymentWriter _writer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    internal PaymentCancellation(PaymentWriter writer, TimeProvider timeProvider, ILogger<PaymentCancellation> logger)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _writer = writer;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <exception cref="PaymentNotFoundException">No payment has this id.</exception>
    /// <exception cref="PaymentConflictException">The payment kept changing under the cancel (the write path's every attempt).</exception>
    public async Task<CancelOutcome> CancelAsync(string paymentId, CancellationToken cancellationToken)
    {
        var outcome = await _writer.ChangeAsync(
            paymentId,
            p => p.Cancel(_timeProvider.GetUtcNow()),
            saved => PaymentLog.Cancelled(_logger, saved.Payment.Id, saved.Payment.TerminalId),
            cancellationToken).ConfigureAwait(false);
        switch (outcome)
        {
            case WriteOutcome.Saved saved:
                return new CancelOutcome.Cancelled(saved.Payment);
            case WriteOutcome.Unchanged unchanged:
                return new CancelOutcome.Cancelled(unchanged.Payment);
            case WriteOutcome.NotAllowed notAllowed:
                return new CancelOutcome.NotPending(notAllowed.Payment);
            case WriteOutcome.NotFound:
                throw new PaymentNotFoundException(paymentId);
            default:
                throw new InvalidOperationException("Unknown write outcome.");
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
