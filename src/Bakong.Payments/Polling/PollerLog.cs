using Bakong.OpenApi.Client;
using Microsoft.Extensions.Logging;

namespace Bakong.Payments.Polling;

// Event ids 2100-2129: the poller and its reconciliation.
internal static partial class PollerLog
{
    [LoggerMessage(EventId = 2100, EventName = "PollerStarted", Level = LogLevel.Information,
        Message = "Payment poller started: batches of {BatchSize}, checks every {FastInterval}/{MediumInterval}/{SlowInterval}, expiry grace {ExpiryGrace}")]
    public static partial void Started(
        ILogger logger, int batchSize, TimeSpan fastInterval, TimeSpan mediumInterval, TimeSpan slowInterval, TimeSpan expiryGrace);

    [LoggerMessage(EventId = 2101, EventName = "PollerCheckFault", Level = LogLevel.Warning,
        Message = "Bakong could not be asked about {Count} payments ({FaultKind}, HTTP {HttpStatus}): {Failure}. No state changed; retrying in {RetryDelay}")]
    public static partial void CheckFault(
        ILogger logger, int count, string faultKind, int? httpStatus, string failure, TimeSpan retryDelay);

    [LoggerMessage(EventId = 2102, EventName = "PaymentPaid", Level = LogLevel.Information,
        Message = "Payment {PaymentId} paid by transaction {TransactionHash}")]
    public static partial void Paid(ILogger logger, string paymentId, string? transactionHash);

    [LoggerMessage(EventId = 2103, EventName = "PaymentFailed", Level = LogLevel.Information,
        Message = "Payment {PaymentId} failed: Bakong reported {Reason}")]
    public static partial void Failed(ILogger logger, string paymentId, string? reason);

    [LoggerMessage(EventId = 2104, EventName = "PaymentExpired", Level = LogLevel.Information,
        Message = "Payment {PaymentId} expired (timeout): no transfer by {ExpireTime:O} and none at the final check")]
    public static partial void Expired(ILogger logger, string paymentId, DateTimeOffset expireTime);

    [LoggerMessage(EventId = 2105, EventName = "PaymentPaidLate", Level = LogLevel.Warning,
        Message = "Payment {PaymentId} paid late by transaction {TransactionHash} after it was {PreviousState}: the merchant must accept or refund")]
    public static partial void PaidLate(ILogger logger, string paymentId, string? transactionHash, PaymentState previousState);

    [LoggerMessage(EventId = 2106, EventName = "ReconciliationFinished", Level = LogLevel.Debug,
        Message = "Payment {PaymentId} ({State}): last reconciliation check found no transfer; no more checks")]
    public static partial void ReconciliationFinished(ILogger logger, string paymentId, PaymentState state);

    [LoggerMessage(EventId = 2107, EventName = "PollerSaveRetry", Level = LogLevel.Debug,
        Message = "Payment {PaymentId} changed while it was being checked; applying Bakong's answer to the stored version")]
    public static partial void SaveRetry(ILogger logger, string paymentId);

    [LoggerMessage(EventId = 2108, EventName = "PollerSaveGaveUp", Level = LogLevel.Warning,
        Message = "Payment {PaymentId} kept changing while it was being checked ({Attempts} attempts); it stays due and is checked again")]
    public static partial void SaveGaveUp(ILogger logger, string paymentId, int attempts);

    [LoggerMessage(EventId = 2109, EventName = "PollerPassFailed", Level = LogLevel.Error,
        Message = "A poller pass failed; retrying in {RetryDelay}")]
    public static partial void PassFailed(ILogger logger, Exception exception, TimeSpan retryDelay);

    [LoggerMessage(EventId = 2110, EventName = "PollerPaymentGone", Level = LogLevel.Warning,
        Message = "Payment {PaymentId} disappeared from the store while it was being checked")]
    public static partial void PaymentGone(ILogger logger, string paymentId);

    [LoggerMessage(EventId = 2111, EventName = "PollerStaticQr", Level = LogLevel.Warning,
        Message = "Bakong says payment {PaymentId}'s md5 {Md5} is a static QR, which cannot be tracked; it will expire unpaid")]
    public static partial void StaticQr(ILogger logger, string paymentId, string md5);

    [LoggerMessage(EventId = 2112, EventName = "PollerPaymentsNotAsked", Level = LogLevel.Warning,
        Message = "{Count} more due payments were not sent to Bakong this pass after a {FaultKind} fault; they are retried with the others")]
    public static partial void NotAsked(ILogger logger, int count, string faultKind);

    public static string Describe(BakongFault? fault, int? errorCode) =>
        fault is not null ? fault.Kind.ToString() : errorCode is not null ? "BakongError" : "NoData";
}
