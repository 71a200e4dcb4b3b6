using Microsoft.Extensions.Logging;

namespace Bakong.Payments.Webhooks;

// Event ids 2300-2399 belong to the webhook dispatcher. Nothing here takes the secret or a signature; endpoints are
// logged without query or user info (see WebhookSender.Describe).
internal static partial class WebhookLog
{
    [LoggerMessage(EventId = 2300, EventName = "WebhooksDisabled", Level = LogLevel.Warning,
        Message = "Webhooks are off (no Webhooks:Url): outbox entries are kept and will be delivered once a URL is configured")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(EventId = 2301, EventName = "WebhooksStarted", Level = LogLevel.Information,
        Message = "Webhook dispatcher delivering to {Endpoint} (timeout {Timeout}, backoff {BackoffBase} to {BackoffMax}, max attempts {MaxAttempts})")]
    public static partial void Started(ILogger logger, string endpoint, TimeSpan timeout, TimeSpan backoffBase, TimeSpan backoffMax, string maxAttempts);

    [LoggerMessage(EventId = 2302, EventName = "WebhookDelivered", Level = LogLevel.Information,
        Message = "Webhook {EventId} ({Type}) for payment {PaymentId} delivered on attempt {Attempt}: HTTP {StatusCode}")]
    public static partial void Delivered(ILogger logger, string eventId, string type, string paymentId, int attempt, int statusCode);

    [LoggerMessage(EventId = 2303, EventName = "WebhookAttemptFailed", Level = LogLevel.Warning,
        Message = "Webhook {EventId} ({Type}) for payment {PaymentId} attempt {Attempt} failed: {Failure}; next attempt at {NextAttemptTime:O}")]
    public static partial void AttemptFailed(
        ILogger logger, string eventId, string type, string paymentId, int attempt, string failure, DateTimeOffset nextAttemptTime);

    [LoggerMessage(EventId = 2304, EventName = "WebhookGaveUp", Level = LogLevel.Error,
        Message = "Webhook {EventId} ({Type}) for payment {PaymentId} failed {Attempt} times ({Failure}): parked, no more attempts (Webhooks:MaxAttempts)")]
    public static partial void GaveUp(ILogger logger, string eventId, string type, string paymentId, int attempt, string failure);

    [LoggerMessage(EventId = 2305, EventName = "WebhookMarkFailed", Level = LogLevel.Warning,
        Message = "Webhook {EventId} for payment {PaymentId} was sent but its delivery could not be recorded; it will be sent again with the same id")]
    public static partial void MarkFailed(ILogger logger, Exception exception, string eventId, string paymentId);

    [LoggerMessage(EventId = 2306, EventName = "WebhookPassFailed", Level = LogLevel.Error,
        Message = "Webhook dispatch pass failed; retrying in {Delay}")]
    public static partial void PassFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(EventId = 2307, EventName = "WebhookPass", Level = LogLevel.Debug,
        Message = "Webhook pass: {Delivered} delivered, {Failed} failed; next pass at {NextPassTime:O}")]
    public static partial void Pass(ILogger logger, int delivered, int failed, DateTimeOffset nextPassTime);
}
