using Microsoft.Extensions.Logging;

namespace Bakong.Payments.Verification;

// Event ids 2760-2769 belong to receipt verification. Only checked values reach these lines (hashes Bakong returned,
// identifiers that passed Identifier), never what a cashier typed.
internal static partial class VerificationLog
{
    [LoggerMessage(EventId = 2760, EventName = "ReceiptVerified", Level = LogLevel.Information,
        Message = "Receipt {TransactionHash} verified at terminal '{TerminalId}' by client {ClientId}: pays this merchant {PaysThisMerchant}, payment {PaymentId}, verified before {VerifiedBefore}")]
    public static partial void Found(
        ILogger logger, string transactionHash, string terminalId, string clientId, bool paysThisMerchant, string paymentId, bool verifiedBefore);

    [LoggerMessage(EventId = 2761, EventName = "ReceiptNotFound", Level = LogLevel.Information,
        Message = "Receipt looked up by {Kind} at terminal '{TerminalId}': Bakong has no such transaction, or it failed")]
    public static partial void NotFound(ILogger logger, string kind, string terminalId);

    [LoggerMessage(EventId = 2762, EventName = "ReceiptBakongUnavailable", Level = LogLevel.Warning,
        Message = "Receipt looked up by {Kind}: no answer from Bakong ({Failure}); answered UNAVAILABLE")]
    public static partial void BakongUnavailable(ILogger logger, string kind, string failure);
}
