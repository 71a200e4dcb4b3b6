using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Bakong.Payments.Notifications;

/// <summary>
/// One <c>sendMessage</c> call. The Bot API puts the token in the URL path (<c>/bot&lt;token&gt;/sendMessage</c>),
/// so nothing this returns carries the URL, and any text that might (an exception's message) goes through
/// <see cref="Redact"/>.
/// </summary>
internal sealed class TelegramSender(HttpClient http, Uri apiBase, string token, TimeSpan timeout)
{
    public const string HttpClientName = "Bakong.Telegram";

    /// <summary>Set on every request: its URL carries the token, so tracing must not record it (<see cref="TelegramAnnouncements.CarriesBotToken"/>).</summary>
    internal static readonly HttpRequestOptionsKey<bool> TokenInUrl = new("Bakong.Telegram.TokenInUrl");

    // Not new Uri(base, relative): a token has a colon ("123:ABC"), so "bot123:ABC/..." would parse as a URI scheme.
    private readonly Uri _sendMessage = new(apiBase.AbsoluteUri.TrimEnd('/') + "/bot" + token + "/sendMessage");

    public async Task<SendResult> SendAsync(string chatId, string text, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _sendMessage) { Content = JsonContent.Create(new { chat_id = chatId, text }) };
            request.Options.Set(TokenInUrl, true);
            using var response = await http.SendAsync(request, attempt.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return SendResult.Sent;
            }

            var (description, retryAfter) = await ReadErrorAsync(response, attempt.Token).ConfigureAwait(false);
            var failure = Redact(string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode} {description}").Trim());
            return response.StatusCode switch
            {
                // Telegram's flood control says how long to wait; waiting less only earns another 429.
                HttpStatusCode.TooManyRequests => new SendResult(SendOutcome.Retry, failure, retryAfter),

                // A wrong token (401), a bot removed from the chat (403), chat not found or a bad request (400):
                // retrying sends the same thing to the same answer.
                HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound
                    => new SendResult(SendOutcome.Permanent, failure, null),
                _ => new SendResult(SendOutcome.Retry, failure, null),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendResult(SendOutcome.Retry, "timed out", null);
        }
        catch (HttpRequestException e)
        {
            return new SendResult(SendOutcome.Retry, Redact(e.HttpRequestError + ": " + e.Message), null);
        }
    }

    /// <summary><paramref name="text"/> with the token replaced by <c>***</c>, wherever it appears.</summary>
    public string Redact(string text) => text.Replace(token, "***", StringComparison.Ordinal);

    private static async Task<(string Description, TimeSpan? RetryAfter)> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(
                await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
            var root = json.RootElement;
            var description = root.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() ?? "" : "";

            // Bounded: a description is Telegram's, but a proxy in between could answer anything.
            description = description.Length > 200 ? description[..200] : description;
            TimeSpan? retryAfter = root.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("retry_after", out var r) && r.TryGetInt32(out var seconds) && seconds is > 0 and <= 86_400
                ? TimeSpan.FromSeconds(seconds)
                : null;
            return (description, retryAfter);
        }
        catch (JsonException)
        {
            return ("", null);
        }
    }
}

internal enum SendOutcome
{
    Sent,
    Retry,
    Permanent,
}

/// <summary>How one call went; <see cref="Failure"/> is redacted.</summary>
internal sealed record SendResult(SendOutcome Outcome, string? Failure, TimeSpan? RetryAfter)
{
    public static readonly SendResult Sent = new(SendOutcome.Sent, null, null);
}
