using Microsoft.Extensions.Logging;

namespace Bakong.Payments;

// Event ids: 2000-2099 the payment domain and its store, 2100-2199 the poller and reconciliation,
// 2300-2399 the webhook dispatcher, 2400-2419 the watch hub; the gateway host uses 2500-2599. 2504 and 2505 are the
// domain's too: the deeplink and the cancel moved here from the gateway and kept the ids operators may filter on.
internal static partial class PaymentLog
{
    [LoggerMessage(EventId = 2000, EventName = "PaymentStoreOpened", Level = LogLevel.Information,
        Message = "Payment store {Path} open with {Count} payments")]
    public static partial void StoreOpened(ILogger logger, string path, long count);

    [LoggerMessage(EventId = 2010, EventName = "PaymentStoreIndexKeysStored", Level = LogLevel.Information,
        Message = "Payment store upgraded: the index keys are stored in {Count} payments, and the indexes read them")]
    public static partial void StoreIndexKeysStored(ILogger logger, int count);

    [LoggerMessage(EventId = 2007, EventName = "PaymentStoreWriteFailed", Level = LogLevel.Error,
        Message = "The payment store cannot write ({Reason}); the writes are answered UNAVAILABLE and the store is opened again")]
    public static partial void StoreWriteFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 2008, EventName = "PaymentStoreReopened", Level = LogLevel.Warning,
        Message = "Payment store {Path} opened again after an I/O error")]
    public static partial void StoreReopened(ILogger logger, string path);

    [LoggerMessage(EventId = 2009, EventName = "PaymentStoreReopenFailed", Level = LogLevel.Error,
        Message = "The payment store cannot be opened again ({Reason}); next attempt in {RetryDelay}")]
    public static partial void StoreReopenFailed(ILogger logger, string reason, TimeSpan retryDelay);

    [LoggerMessage(EventId = 2001, EventName = "PaymentCreated", Level = LogLevel.Information,
        Message = "Payment {PaymentId} created for terminal {TerminalId}: {Money}, bill {BillNumber}, md5 {Md5}, expires {ExpireTime:O}")]
    public static partial void Created(
        ILogger logger, string paymentId, string terminalId, Money money, string billNumber, string md5, DateTimeOffset expireTime);

    [LoggerMessage(EventId = 2002, EventName = "PaymentRequestReplayed", Level = LogLevel.Debug,
        Message = "Request {RequestId} repeated with the same parameters: returning payment {PaymentId}")]
    public static partial void Replayed(ILogger logger, string requestId, string paymentId);

    [LoggerMessage(EventId = 2003, EventName = "PaymentRequestConflict", Level = LogLevel.Warning,
        Message = "Request {RequestId} repeated with different {Fields} than payment {PaymentId}: rejected")]
    public static partial void Conflict(ILogger logger, string requestId, string paymentId, string fields);

    [LoggerMessage(EventId = 2004, EventName = "PaymentSaveConflict", Level = LogLevel.Debug,
        Message = "Payment {PaymentId} was read at version {ReadVersion} but the store has {StoredVersion}: save refused")]
    public static partial void SaveConflict(ILogger logger, string paymentId, long readVersion, long storedVersion);

    [LoggerMessage(EventId = 2005, EventName = "PaymentNeedsReview", Level = LogLevel.Warning,
        Message = "Payment {PaymentId} ({State}) needs review: Bakong reported transaction {TransactionHash} that does not match: {Reason}")]
    public static partial void NeedsReview(ILogger logger, string paymentId, PaymentState state, string transactionHash, string reason);

    [LoggerMessage(EventId = 2006, EventName = "PaymentChangeSinkFailed", Level = LogLevel.Error,
        Message = "{Sink} failed on the saved change of payment {PaymentId} (version {Version}); the change stands and the other sinks were told")]
    public static partial void SinkFailed(ILogger logger, string sink, string paymentId, long version, Exception exception);

    [LoggerMessage(EventId = 2504, EventName = "DeeplinkFailed", Level = LogLevel.Warning,
        Message = "No deeplink for payment {PaymentId}: {Reason}. The payment stands; it is payable by its QR")]
    public static partial void DeeplinkFailed(ILogger logger, string paymentId, string reason);

    [LoggerMessage(EventId = 2505, EventName = "PaymentCancelled", Level = LogLevel.Information,
        Message = "Payment {PaymentId} of terminal {TerminalId} cancelled by CancelPayment")]
    public static partial void Cancelled(ILogger logger, string paymentId, string terminalId);
}
