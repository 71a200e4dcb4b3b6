using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Gateway.Tests.Support;

/// <summary>
/// The merchant's webhook endpoint, as the test sees it: the gateway's <c>Bakong.Webhooks</c> HttpClient is routed
/// here (instead of a socket), every POST is recorded with its raw body and headers, and <see cref="Respond"/> decides
/// the status code.
/// </summary>
public sealed class WebhookReceiver(FakeTimeProvider clock)
{
    /// <summary>A loopback URL, so plain http passes the gateway's validation; no socket is ever opened.</summary>
    public const string Url = "http://127.0.0.1:9/bakong/webhooks";

    public const string Secret = "test-webhook-secret-0123456789-abcdefghij";

    private readonly Channel<ReceivedWebhook> _arrivals = Channel.CreateUnbounded<ReceivedWebhook>();
    private readonly Lock _gate = new();
    private readonly List<ReceivedWebhook> _all = [];

    /// <summary>The answer to each POST; 200 unless a test says otherwise.</summary>
    public Func<ReceivedWebhook, HttpStatusCode> Respond { get; set; } = _ => HttpStatusCode.OK;

    public IReadOnlyList<ReceivedWebhook> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>The next POST, in arrival order, or a failure after <see cref="GatewayFactory.Timeout"/>.</summary>
    public async Task<ReceivedWebhook> NextAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        return await _arrivals.Reader.ReadAsync(ct).AsTask().WaitAsync(GatewayFactory.Timeout, ct).ConfigureAwait(false);
    }

    internal async Task<HttpResponseMessage> ReceiveAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var received = new ReceivedWebhook(
            request.Method,
            request.RequestUri!,
            Header(request, "Bakong-Event-Id"),
            Header(request, "Bakong-Signature"),
            request.Content?.Headers.ContentType?.ToString(),
            body,
            clock.GetUtcNow());
        HttpStatusCode status;
        lock (_gate)
        {
            _all.Add(received);
            status = Respond(received);
        }

        _arrivals.Writer.TryWrite(received);
        return new HttpResponseMessage(status) { RequestMessage = request };
    }

    private static string? Header(HttpRequestMessage request, string name) =>
        request.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}

/// <summary>One POST the receiver got: the raw bytes as signed, and the parts a test asserts on.</summary>
public sealed record ReceivedWebhook(
    HttpMethod Method, Uri Url, string? EventIdHeader, string? Signature, string? ContentType, byte[] Body, DateTimeOffset ReceivedAt)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string Id => Json.GetProperty("id").GetString()!;

    public string Type => Json.GetProperty("type").GetString()!;

    public JsonElement Data => Json.GetProperty("data");

    public string PaymentId => Data.GetProperty("payment_id").GetString()!;

    public string State => Data.GetProperty("state").GetString()!;

    public long Version => Data.GetProperty("version").GetInt64();
}
