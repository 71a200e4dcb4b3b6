using Bakong.OpenApi.Client;

namespace Bakong.Gateway;

/// <summary>The gateway host's own log events (2500–2599 but 2504 and 2505, which moved to Bakong.Payments with the deeplink and the cancel; 2000–2499 belong to Bakong.Payments).</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 2500, EventName = "SandboxMode", Level = LogLevel.Warning,
        Message = "SANDBOX MODE: payments are checked against the simulated Bakong at {SandboxUrl}, not real money ({Why}). To go live set Bakong:Mode=Sit or Production and a token with 'bakong token set'.")]
    public static partial void SandboxMode(ILogger logger, Uri sandboxUrl, string why);

    [LoggerMessage(EventId = 2501, EventName = "BakongMode", Level = LogLevel.Information,
        Message = "Checking payments with Bakong {Environment} at {BaseUrl}")]
    public static partial void BakongMode(ILogger logger, BakongEnvironment environment, Uri baseUrl);

    [LoggerMessage(EventId = 2502, EventName = "SandboxTokenIssued", Level = LogLevel.Information,
        Message = "Issued a sandbox token (expires {ExpiresAt:u}) and set it in the token store: payment checks work with no setup")]
    public static partial void SandboxTokenIssued(ILogger logger, DateTimeOffset? expiresAt);

    [LoggerMessage(EventId = 2503, EventName = "Storage", Level = LogLevel.Information,
        Message = "Payments are stored in {PaymentsPath}; tokens in {TokensPath}; the Bakong call audit in {AuditPath}")]
    public static partial void Storage(ILogger logger, string paymentsPath, string tokensPath, string auditPath);

    // A scope's state is printed by the console formatter (Logging:Console:IncludeScopes) with ToString(): a defined
    // scope renders "TerminalId:POS-01 PaymentRequestId:INV-1" and still enumerates both as structured properties.
    private static readonly Func<ILogger, string, string, IDisposable?> s_createPaymentScope =
        LoggerMessage.DefineScope<string, string>("TerminalId:{TerminalId} PaymentRequestId:{PaymentRequestId}");

    /// <summary>The scope of a <c>CreatePayment</c> call until the payment has an id: its terminal and request ids.</summary>
    public static IDisposable? CreatePaymentScope(ILogger logger, string terminalId, string requestId) =>
        s_createPaymentScope(logger, terminalId, requestId);

    [LoggerMessage(EventId = 2507, EventName = "SandboxSocket", Level = LogLevel.Information,
        Message = "The Web endpoint is on https: the gateway checks payments against its sandbox through its own socket {SocketPath}, not through that endpoint")]
    public static partial void SandboxSocket(ILogger logger, string socketPath);

    [LoggerMessage(EventId = 2506, EventName = "IdentityNotRecorded", Level = LogLevel.Warning,
        Message = "Cannot record the environment and merchant account in {Path} ({Reason}): bakong restore will not recognise a backup of another one")]
    public static partial void IdentityNotRecorded(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 2510, EventName = "UnparseableRequest", Level = LogLevel.Debug,
        Message = "A {Method} request message could not be parsed ({Reason}): answered INVALID_ARGUMENT")]
    public static partial void UnparseableRequest(ILogger logger, string method, string reason);

    [LoggerMessage(EventId = 2511, EventName = "StorageUnavailable", Level = LogLevel.Error,
        Message = "{Method} failed: the payment store could not be read or written ({Reason}); answered UNAVAILABLE")]
    public static partial void StorageUnavailable(ILogger logger, string method, string reason);
}
