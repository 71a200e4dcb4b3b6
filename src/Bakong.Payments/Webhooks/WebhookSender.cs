using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Bakong.Payments.Webhooks;

/// <summary>One POST of one webhook, and what came of it. The caller decides what to record.</summary>
internal sealed class WebhookSender(HttpClient http, Uri url, IReadOnlyList<string> secrets, TimeSpan timeout, TimeProvider time)
{
    /// <summary>The IHttpClientFactory name of the webhook client.</summary>
    public const string HttpClientName = "Bakong.Webhooks";

    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };

    public async Task<AttemptResult> SendAsync(string eventId, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Content = new ByteArrayContent(body) { Headers = { ContentType = s_json } };
        request.Headers.TryAddWithoutValidation(WebhookSignature.EventIdHeaderName, eventId);

        // Signed per attempt: a retry carries a fresh timestamp over the same body.
        request.Headers.TryAddWithoutValidation(WebhookSignature.HeaderName, WebhookSignature.Create(body, secrets, time.GetUtcNow()));

        using var attempt = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attempt.Token);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return status is >= 200 and <= 299
                ? new AttemptResult(true, status, null)
                : new AttemptResult(false, status, string.Create(CultureInfo.InvariantCulture, $"HTTP {status} {response.ReasonPhrase}"));
        }
        catch (OperationCanceledException) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new AttemptResult(false, null, string.Create(CultureInfo.InvariantCulture, $"no response within {timeout}"));
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException is SocketException s ? s.SocketErrorCode.ToString() : e.HttpRequestError.ToString();
            return new AttemptResult(false, null, "transport error: " + reason);
        }
    }

    /// <summary>The URL for logs: scheme, host, port and path — a query or user info may carry credentials.</summary>
    public static string Describe(Uri url) => url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
}

/// <param name="Delivered">A 2xx came back.</param>
/// <param name="StatusCode">The response status, if there was a response.</param>
/// <param name="Failure">Why it was not delivered: fit for logs and <see cref="OutboxEntry.LastError"/> (no secrets, no body).</param>
internal readonly record struct AttemptResult(bool Delivered, int? StatusCode, string? Failure);
