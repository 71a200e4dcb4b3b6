using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.OpenApi.Tests.Client;

/// <summary>A request as the stub saw it, with the body already read.</summary>
public sealed record SeenRequest(HttpMethod Method, string Path, string? Authorization, string? ContentType, string Body);

/// <summary>An HttpMessageHandler that answers with a test-supplied function and remembers every request.</summary>
public sealed class StubHandler(Func<SeenRequest, CancellationToken, Task<HttpResponseMessage>> respond) : HttpMessageHandler
{
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public StubHandler(Func<SeenRequest, HttpResponseMessage> respond)
        : this((r, _) => Task.FromResult(respond(r)))
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var seen = new SeenRequest(
            request.Method,
            request.RequestUri!.AbsolutePath,
            request.Headers.Authorization?.ToString(),
            request.Content?.Headers.ContentType?.MediaType,
            body);
        Requests.Enqueue(seen);
        return await respond(seen, cancellationToken);
    }

    public static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Html(HttpStatusCode status, string body = NginxForbidden) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "text/html") };

    public const string NginxForbidden =
        "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
}

public sealed class RecordingAudit : IBakongCallAudit
{
    public ConcurrentQueue<BakongCallRecord> Records { get; } = new();

    public void Record(BakongCallRecord record) => Records.Enqueue(record);
}

/// <summary>A token source with one current token; renewal hands out <see cref="Renewed"/> (or null).</summary>
public sealed class FakeTokenSource(BakongToken? current, BakongToken? renewed) : IBakongTokenSource
{
    private int _renewals;

    public BakongToken? Current { get; private set; } = current;

    public BakongToken? Renewed { get; } = renewed;

    public int Renewals => _renewals;

    public List<BakongToken> Rejected { get; } = [];

    public ValueTask<BakongToken?> GetCurrentAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Current);

    public ValueTask<BakongToken?> RenewAsync(BakongToken rejected, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _renewals);
        lock (Rejected)
        {
            Rejected.Add(rejected);
        }

        if (Renewed is not null)
        {
            Current = Renewed;
        }

        return ValueTask.FromResult(Renewed);
    }
}

/// <summary>One client over a stub handler, with fake time, a recording audit and a fake logger.</summary>
internal sealed class ClientHarness : IDisposable
{
    public const string TokenValue = "eyJhbGciOiJIUzI1NiJ9.eyJkYXRhIjp7ImlkIjoic2VjcmV0In19.SECRET-SIGNATURE-abc123";
    public const string RenewedTokenValue = "eyJhbGciOiJIUzI1NiJ9.eyJkYXRhIjp7ImlkIjoicmVuZXdlZCJ9fQ.RENEWED-SIGNATURE-xyz789";

    private readonly HttpClient _httpClient;

    public ClientHarness(StubHandler handler, Action<BakongOpenApiOptions>? configure = null, FakeTokenSource? tokens = null)
    {
        Handler = handler;
        Options = new BakongOpenApiOptions
        {
            Environment = BakongEnvironment.Sit,
            RetryBaseDelay = TimeSpan.Zero,
            CircuitBreakerMinimumThroughput = 1000,
        };
        configure?.Invoke(Options);
        Tokens = tokens ?? new FakeTokenSource(new BakongToken(TokenValue, null), new BakongToken(RenewedTokenValue, null));
        _httpClient = new HttpClient(handler) { BaseAddress = Options.ResolveBaseAddress() };
        var options = Microsoft.Extensions.Options.Options.Create(Options);
        Resilience = new BakongResilience(options, Time, NullLogger<BakongResilience>.Instance);
        Fallback = new Md5ListFallback(options, Time);
        Client = new BakongClient(_httpClient, Resilience, Fallback, Tokens, Audit, Time, Logger);
        Registration = new BakongRegistrationClient(_httpClient, Audit, Time, options, RegistrationLogger);
    }

    public StubHandler Handler { get; }

    public BakongOpenApiOptions Options { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 8, 28, 7, 39, 35, TimeSpan.Zero));

    public RecordingAudit Audit { get; } = new();

    public FakeLogger<BakongClient> Logger { get; } = new();

    public FakeLogger<BakongRegistrationClient> RegistrationLogger { get; } = new();

    public FakeTokenSource Tokens { get; }

    public BakongResilience Resilience { get; }

    public Md5ListFallback Fallback { get; }

    public BakongClient Client { get; }

    public BakongRegistrationClient Registration { get; }

    public void Dispose() => _httpClient.Dispose();
}
