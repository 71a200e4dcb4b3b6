using Microsoft.Extensions.Logging;

namespace Bakong.Payments.Notifications;

// Event ids 2800-2899 belong to the Telegram sink. Nothing here takes the bot token: failures are described by
// TelegramSender.Redact, which removes it, and exceptions are never passed (their messages may carry the URL).
internal static partial class TelegramLog
{
    [LoggerMessage(EventId = 2800, EventName = "TelegramStarted", Level = LogLevel.Information,
        Message = "Telegram announcements on: {Chats} chat(s) through {ApiBase}")]
    public static partial void Started(ILogger logger, int chats, string apiBase);

    [LoggerMessage(EventId = 2801, EventName = "TelegramSent", Level = LogLevel.Information,
        Message = "Telegram message for event {EventId} (payment {PaymentId}) sent to chat {ChatId} on attempt {Attempt}")]
    public static partial void Sent(ILogger logger, string eventId, string paymentId, string chatId, int attempt);

    [LoggerMessage(EventId = 2802, EventName = "TelegramAttemptFailed", Level = LogLevel.Warning,
        Message = "Telegram message for event {EventId} to chat {ChatId} attempt {Attempt} failed: {Failure}; next attempt at {NextAttemptTime:O}")]
    public static partial void AttemptFailed(ILogger logger, string eventId, string chatId, int attempt, string failure, DateTimeOffset nextAttemptTime);

    [LoggerMessage(EventId = 2803, EventName = "TelegramGaveUp", Level = LogLevel.Error,
        Message = "Telegram message for event {EventId} to chat {ChatId} given up after {Attempt} attempt(s): {Failure}")]
    public static partial void GaveUp(ILogger logger, string eventId, string chatId, int attempt, string failure);

    [LoggerMessage(EventId = 2804, EventName = "TelegramPassFailed", Level = LogLevel.Error,
        Message = "Telegram pass failed ({Failure}); next pass in {Delay}")]
    public static partial void PassFailed(ILogger logger, string failure, TimeSpan delay);

    [LoggerMessage(EventId = 2805, EventName = "TelegramNoToken", Level = LogLevel.Warning,
        Message = "Telegram announcements are on but no bot token is set: run 'bakong notify telegram set-token'; settled payments wait for it (within CatchUpWindow)")]
    public static partial void NoToken(ILogger logger);

    [LoggerMessage(EventId = 2806, EventName = "TelegramTokenSet", Level = LogLevel.Information,
        Message = "Telegram bot token set by {OperatorId}")]
    public static partial void TokenSet(ILogger logger, string operatorId);
}
