using Microsoft.Extensions.Logging;

namespace Bakong.Sandbox;

/// <summary>The sandbox's log events. The log is also its "mailbox": verification codes appear here.</summary>
internal static partial class SandboxLog
{
    [LoggerMessage(EventId = 7001, EventName = "SandboxCodeSent", Level = LogLevel.Information,
        Message = "Sandbox mailbox: verification code {Code} sent to {Email}")]
    public static partial void CodeSent(ILogger logger, string email, string code);

    // The token itself is never logged, not even a sandbox one: only its id.
    [LoggerMessage(EventId = 7002, EventName = "SandboxTokenIssued", Level = LogLevel.Information,
        Message = "Sandbox issued token {TokenId} for {Email}, expiring {ExpiresAt:O}")]
    public static partial void TokenIssued(ILogger logger, string tokenId, string? email, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 7003, EventName = "SandboxTokensExpired", Level = LogLevel.Warning,
        Message = "Sandbox expired all {Count} tokens issued so far")]
    public static partial void TokensExpired(ILogger logger, int count);

    [LoggerMessage(EventId = 7004, EventName = "SandboxQrRegistered", Level = LogLevel.Information,
        Message = "Sandbox knows QR {Md5} (static: {IsStatic})")]
    public static partial void QrRegistered(ILogger logger, string md5, bool isStatic);

    [LoggerMessage(EventId = 7005, EventName = "SandboxPaid", Level = LogLevel.Information,
        Message = "Sandbox customer paid {Md5}: {Amount} {Currency} to {ToAccountId}, visible from {VisibleAtMs}")]
    public static partial void Paid(ILogger logger, string md5, decimal amount, string currency, string toAccountId, long visibleAtMs);

    [LoggerMessage(EventId = 7012, EventName = "SandboxTransferred", Level = LogLevel.Information,
        Message = "Sandbox transfer {Hash}: {Amount} {Currency} from {FromAccountId} to {ToAccountId}")]
    public static partial void Transferred(ILogger logger, string hash, decimal amount, string currency, string fromAccountId, string toAccountId);

    [LoggerMessage(EventId = 7006, EventName = "SandboxFailed", Level = LogLevel.Information,
        Message = "Sandbox payment of {Md5} failed")]
    public static partial void Failed(ILogger logger, string md5);

    [LoggerMessage(EventId = 7007, EventName = "SandboxFaultsChanged", Level = LogLevel.Warning,
        Message = "Sandbox faults now {Faults}")]
    public static partial void FaultsChanged(ILogger logger, SandboxFaults faults);

    [LoggerMessage(EventId = 7008, EventName = "SandboxFaultInjected", Level = LogLevel.Debug,
        Message = "Sandbox injected {Fault} into {Endpoint}")]
    public static partial void FaultInjected(ILogger logger, string fault, string endpoint);

    [LoggerMessage(EventId = 7010, EventName = "SandboxServerErrorInjected", Level = LogLevel.Debug,
        Message = "Sandbox injected HTTP {Status} into {Endpoint}")]
    public static partial void ServerErrorInjected(ILogger logger, int status, string endpoint);

    [LoggerMessage(EventId = 7009, EventName = "SandboxListening", Level = LogLevel.Information,
        Message = "Bakong sandbox listening on {BaseUrl}")]
    public static partial void Listening(ILogger logger, Uri baseUrl);

    [LoggerMessage(EventId = 7011, EventName = "SandboxControlRefused", Level = LogLevel.Warning,
        Message = "Sandbox control API refused a call from {Peer}: it answers only on loopback (404)")]
    public static partial void ControlRefused(ILogger logger, string peer);
}
