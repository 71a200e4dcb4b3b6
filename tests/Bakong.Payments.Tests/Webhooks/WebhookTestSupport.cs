using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Bakong.Payments.Storage;
using Bakong.Payments.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Payments.Tests.Webhooks;

/// <summary>One POST the receiver got.</summary>
internal sealed record ReceivedWebhook(string? EventId, string? Signature, string? ContentType, byte[] Body)
{
    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;
}

/// <summary>A webhook receiver: Kestrel on loopback, answering with queued status codes (200 when none queued).</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app) => _app = app;

    public Channel<ReceivedWebhook> Received { get; } = Channel.CreateUnbounded<ReceivedWebhook>();

    public ConcurrentQueue<int> Statuses { get; } = new();

    public Uri Url { get; private set; } = null!;

    /// <summary>When set, every POST is recorded at once and answered only once this completes.</summary>
    public Task? Gate { get; set; }

    public static async Task<WebhookReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/bakong", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            receiver.Received.Writer.TryWrite(new ReceivedWebhook(
                context.Request.Headers[WebhookSignature.EventIdHeaderName].ToString(),
                context.Request.Headers[WebhookSignature.HeaderName].ToString(),
                context.Request.ContentType,
                body.ToArray()));
            if (receiver.Gate is { } gate)
            {
                await gate.WaitAsync(context.RequestAborted);
            }

            context.Response.StatusCode = receiver.Statuses.TryDequeue(out var status) ? status : 200;
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = new Uri(new Uri(address), "/hooks/bakong");
        return receiver;
    }

    public async Task<ReceivedWebhook> NextAsync() =>
        await Received.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(WebhookHarness.Timeout, TestContext.Current.CancellationToken);

    public bool NothingMore => !Received.Reader.TryPeek(out _);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

/// <summary>Log lines with their structured values and exceptions, to look for what must never be logged.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, EventId EventId, string Text)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                text += " | " + string.Join("; ", values.Select(v => v.Key + "=" + v.Value));
            }

            owner.Entries.Enqueue((category, eventId, text + (exception is null ? "" : " | " + exception)));
        }
    }
}

/// <summary>
/// The dispatcher as the gateway registers it (<c>AddWebhookDispatcher</c>), over a real store, on a fake clock, with
/// every pass reported.
/// </summary>
internal sealed class WebhookHarness : IAsyncDisposable
{
    public const string Secret = "whsec_test_0123456789abcdefghijklmnopqrstuv";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly ServiceProvider _provider;
    private bool _started;

    public WebhookHarness(IPaymentStore store, FakeTimeProvider clock, Uri? url, Dictionary<string, string?>? settings = null, CapturingLoggerProvider? logs = null)
    {
        Store = store;
        Clock = clock;
        var config = new Dictionary<string, string?>
        {
            ["Webhooks:Url"] = url?.ToString(),
            ["Webhooks:Secret"] = url is null ? null : Secret,
            ["Webhooks:BackoffBase"] = "00:00:10",
            ["Webhooks:BackoffMax"] = "00:01:00",
        };
        foreach (var (key, value) in settings ?? [])
        {
            config[key] = value;
        }

        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton(store);
        services.AddWebhookDispatcher(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        _provider = services.BuildServiceProvider();
        Dispatcher = _provider.GetRequiredService<WebhookDispatcher>();
        Dispatcher.PassCompleted = pass => Passes.Writer.TryWrite(pass);
        Signal = _provider.GetRequiredService<IWebhookSignal>();
    }

    public IPaymentStore Store { get; }

    public FakeTimeProvider Clock { get; }

    public WebhookDispatcher Dispatcher { get; }

    public IWebhookSignal Signal { get; }

    public Channel<WebhookPass> Passes { get; } = Channel.CreateUnbounded<WebhookPass>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async Task StartAsync()
    {
        _started = true;
        await Dispatcher.StartAsync(Ct);
    }

    /// <summary>The next pass that matches (earlier ones are skipped).</summary>
    public async Task<WebhookPass> PassAsync(Func<WebhookPass, bool>? match = null)
    {
        while (true)
        {
            var pass = await Passes.Reader.ReadAsync(Ct).AsTask().WaitAsync(Timeout, Ct);
            if (match is null || match(pass))
            {
                return pass;
            }
        }
    }

    /// <summary>
    /// The first pass that read the outbox at or after <paramref name="time"/>, a time the test moved the fake clock to:
    /// a pass that was still in flight then (it has delivered, but not yet reported) is skipped, however late it reports.
    /// </summary>
    public Task<WebhookPass> PassFromAsync(DateTimeOffset time) => PassAsync(p => p.Time >= time);

    /// <summary>A new payment in the store, brought to an outcome by <paramref name="act"/> and saved, the dispatcher signalled.</summary>
    public async Task<Payment> SaveAsync(Payment payment, Action<Payment, DateTimeOffset>? act = null)
    {
        await Store.InsertIfAbsentAsync(payment, Ct);
        act?.Invoke(payment, Clock.GetUtcNow());
        Assert.Equal(SaveResult.Saved, await Store.SaveAsync(payment, Ct));
        Signal.Notify();
        return payment;
    }

    public async Task<OutboxEntry> EntryAsync(string paymentId, string eventId) =>
        (await Store.GetAsync(paymentId, Ct))!.Outbox.Single(o => o.EventId == eventId);

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await Dispatcher.StopAsync(CancellationToken.None);
        }

        await _provider.DisposeAsync();
    }
}
