using Bakong.OpenApi.Client;
using Microsoft.Extensions.Logging;

namespace Bakong.OpenApi.Tokens;

/// <summary>Token lifecycle log events (EventIds 1300–1399; the client uses 1100–1199, the audit 1200–1299). None of them takes the token value.</summary>
internal static partial class TokenLog
{
    [LoggerMessage(EventId = 1300, EventName = "TokenExpiringSoon", Level = LogLevel.Warning,
        Message = "The Bakong {Environment} token expires at {ExpiresAt:u} ({DaysLeft} days left); renew it with 'bakong token renew'")]
    public static partial void TokenExpiringSoon(ILogger logger, BakongEnvironment environment, DateTimeOffset expiresAt, int daysLeft);

    [LoggerMessage(EventId = 1301, EventName = "TokenExpired", Level = LogLevel.Error,
        Message = "The Bakong {Environment} token expired at {ExpiresAt:u}; Bakong will answer 401 until it is renewed ('bakong token renew')")]
    public static partial void TokenExpired(ILogger logger, BakongEnvironment environment, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 1302, EventName = "TokenMissing", Level = LogLevel.Warning,
        Message = "No Bakong {Environment} token is set; get one with 'bakong token register' and 'bakong token verify', or 'bakong token set'")]
    public static partial void TokenMissing(ILogger logger, BakongEnvironment environment);

    [LoggerMessage(EventId = 1303, EventName = "TokenSet", Level = LogLevel.Information,
        Message = "A Bakong {Environment} token was set; it expires at {ExpiresAt:u}")]
    public static partial void TokenSet(ILogger logger, BakongEnvironment environment, DateTimeOffset? expiresAt);

    [LoggerMessage(EventId = 1304, EventName = "TokenRenewed", Level = LogLevel.Information,
        Message = "The Bakong {Environment} token was renewed; the new one expires at {ExpiresAt:u}")]
    public static partial void TokenRenewed(ILogger logger, BakongEnvironment environment, DateTimeOffset? expiresAt);

    [LoggerMessage(EventId = 1305, EventName = "RenewalImpossibleNoEmail", Level = LogLevel.Warning,
        Message = "Cannot renew the Bakong {Environment} token: no registered e-mail is configured (set Email in the token options, or 'bakong token register' / 'set --email')")]
    public static partial void RenewalImpossibleNoEmail(ILogger logger, BakongEnvironment environment);

    [LoggerMessage(EventId = 1306, EventName = "RenewalFailed", Level = LogLevel.Error,
        Message = "Renewing the Bakong {Environment} token failed: {Failure}")]
    public static partial void RenewalFailed(ILogger logger, BakongEnvironment environment, string failure);

    [LoggerMessage(EventId = 1307, EventName = "StoredTokenUnreadable", Level = LogLevel.Error,
        Message = "The stored Bakong {Environment} token cannot be decrypted (was the key file beside the database replaced?); set the token again")]
    public static partial void StoredTokenUnreadable(ILogger logger, BakongEnvironment environment);

    [LoggerMessage(EventId = 1308, EventName = "AutomaticRenewalRetry", Level = LogLevel.Warning,
        Message = "Automatic renewal of the Bakong {Environment} token failed; retrying in {Delay}")]
    public static partial void AutomaticRenewalRetry(ILogger logger, BakongEnvironment environment, TimeSpan delay);

    [LoggerMessage(EventId = 1309, EventName = "AutomaticRenewalDisabled", Level = LogLevel.Information,
        Message = "Automatic renewal of the Bakong token is off ({Reason})")]
    public static partial void AutomaticRenewalDisabled(ILogger logger, string reason);

    [LoggerMessage(EventId = 1310, EventName = "RenewalError", Level = LogLevel.Error,
        Message = "Renewing the Bakong {Environment} token threw")]
    public static partial void RenewalError(ILogger logger, BakongEnvironment environment, Exception exception);

    [LoggerMessage(EventId = 1311, EventName = "TokenKeyRotated", Level = LogLevel.Information,
        Message = "The token encryption key was rotated; every stored token is now encrypted under the new key, and the old key was kept as {OldKeyPath}")]
    public static partial void KeyRotated(ILogger logger, string oldKeyPath);

    [LoggerMessage(EventId = 1312, EventName = "TokenRenewedElsewhere", Level = LogLevel.Information,
        Message = "The Bakong {Environment} token was renewed or set by another gateway on the same store while this one waited to renew it; taking that token (expires {ExpiresAt})")]
    public static partial void TokenRenewedElsewhere(ILogger logger, BakongEnvironment environment, DateTimeOffset? expiresAt);

    [LoggerMessage(EventId = 1313, EventName = "TokenChangedElsewhere", Level = LogLevel.Debug,
        Message = "The Bakong {Environment} token may have been changed by another gateway on the same store; reading it again")]
    public static partial void TokenChangedElsewhere(ILogger logger, BakongEnvironment environment);
}
