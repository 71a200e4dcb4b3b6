using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bakong.EndToEnd.Tests.Crash;

/// <summary>One webhook POST as the merchant's back office received it.</summary>
internal sealed record Delivery(string EventId, string Type, string PaymentId, string State, long Version, bool SignatureValid);

/// <summary>
/// The merchant's webhook endpoint on 127.0.0.1: checks each POST's signature independently of the gateway's code
/// (docs/webhooks.md: <c>v1 = hex(HMAC-SHA256(secret, "t.body"))</c>), records it and answers 200.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Secret = "end-to-end-webhook-secret-0123456789abcdef";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyCollection<Delivery> Deliveries => _deliveries;

    public static async Task<WebhookReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();

        // Not the gateway's appsettings.json (copied beside this assembly by the project reference): only what is set here.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks", (Delegate)receiver.ReceiveAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(a => a.Contains("127.0.0.1", StringComparison.Ordinal));
        receiver.Url = new Uri(address.TrimEnd('/') + "/hooks");
        return receiver;
    }

    /// <summary>Waits until the deliveries so far satisfy <paramref name="done"/>; fails with what arrived after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyCollection<Delivery>, bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            while (!done(_deliveries))
            {
                await _arrived.WaitAsync(timer.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Webhooks not complete after {timeout}: {_deliveries.Count} deliveries, "
                + string.Join(", ", _deliveries.Select(d => d.PaymentId + ":" + d.Type)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _arrived.Dispose();
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var signed = IsSigned(context.Request.Headers["Bakong-Signature"].ToString(), body);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var data = root.GetProperty("data");
        _deliveries.Enqueue(new Delivery(
            root.GetProperty("id").GetString()!,
            root.GetProperty("type").GetString()!,
            data.GetProperty("payment_id").GetString()!,
            data.GetProperty("state").GetString()!,
            data.GetProperty("version").GetInt64(),
            signed && context.Request.Headers["Bakong-Event-Id"] == root.GetProperty("id").GetString()));
        _arrived.Release();
        return Results.Ok();
    }

    private static bool IsSigned(string header, byte[] body)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToList();
        var timestamp = parts.FirstOrDefault(p => p[0] == "t")?[1];
        if (timestamp is null)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), (byte[])[.. Encoding.UTF8.GetBytes(timestamp + "."), .. body]);
        return parts.Where(p => p[0] == "v1").Any(p =>
            CryptographicOperations.FixedTimeEquals(Convert.FromHexString(p[1]), expected));
    }
}
