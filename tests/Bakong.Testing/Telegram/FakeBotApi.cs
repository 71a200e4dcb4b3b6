using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bakong.Testing.Telegram;

/// <summary>One sendMessage call the fake got, and what it answered.</summary>
public sealed record BotCall(string ChatId, string Text, int Status);

/// <summary>
/// A local Telegram Bot API: Kestrel on 127.0.0.1 answering <c>POST /bot&lt;token&gt;/sendMessage</c>, with queued
/// answers (status and JSON body; 200 <c>{"ok":true}</c> when none queued). A wrong token is a 401, as Telegram answers.
/// Shared by the notifier's tests and the gateway's (the admin API's test message, and what the gateway's logs and
/// traces keep of a real HTTP call).
/// </summary>
public sealed class FakeBotApi : IAsyncDisposable
{
    /// <summary>The source of the fake's own server-side request activities.</summary>
    public const string ActivitySourceName = "Bakong.Testing.FakeBotApi";

    private readonly WebApplication _app;

    private FakeBotApi(WebApplication app) => _app = app;

    public Channel<BotCall> Calls { get; } = Channel.CreateUnbounded<BotCall>();

    public ConcurrentQueue<(int Status, string Body)> Answers { get; } = new();

    public Uri Url { get; private set; } = null!;

    public static async Task<FakeBotApi> StartAsync(string token)
    {
        var builder = WebApplication.CreateSlimBuilder();

        // Not the test folder's appsettings.json (the gateway's, copied there: its Kestrel endpoints) nor the environment.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();

        // Its own requests' activities under a source of their own: a test listening to every source (SecretsLeakTests)
        // tells Telegram's side of a call, which sees the token in its URL by design, from the gateway's.
        builder.Services.AddSingleton(new ActivitySource(ActivitySourceName));
        builder.Services.AddSingleton(new DiagnosticListener(ActivitySourceName));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeBotApi(app);
        app.MapPost("/{bot}/sendMessage", async (string bot, HttpContext context) =>
        {
            using var json = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var (status, body) = bot != "bot" + token
                ? (401, """{"ok":false,"error_code":401,"description":"Unauthorized"}""")
                : fake.Answers.TryDequeue(out var answer) ? answer : (200, """{"ok":true,"result":{}}""");
            fake.Calls.Writer.TryWrite(new BotCall(
                json.RootElement.GetProperty("chat_id").GetString()!, json.RootElement.GetProperty("text").GetString()!, status));
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body, context.RequestAborted);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        fake.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/");
        return fake;
    }

    public async Task<BotCall> NextAsync() =>
        await Calls.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

    public bool NothingMore => !Calls.Reader.TryPeek(out _);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
