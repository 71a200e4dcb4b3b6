using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Bakong.Grpc.Admin.V1;
using Bakong.Grpc.Payments.V1;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Tokens;
using Bakong.Gateway.Tests.Support;
using Bakong.Testing.Telegram;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using IdentityRole = Bakong.Identity.ClientRole;

namespace Bakong.Gateway.Tests.Access;

/// <summary>
/// A whole payment flow with every secret in play (API keys, two webhook secrets, the Bakong token and its renewal, the
/// Telegram bot token set through the admin API and used for the payment's announcement and a test message), then everything the gateway said about it (every log line at Trace, API and Bakong audit rows, metrics, traces,
/// webhook bodies, responses and errors) searched for each secret: none may appear.
/// </summary>
public sealed class SecretsLeakTests : IAsyncLifetime
{
    private const string FirstWebhookSecret = "whsec-first-8c1f0e7d2b9a4c6e5f3d1a0b";
    private const string SecondWebhookSecret = "whsec-second-3e5a7c9b1d2f4e6a8c0b2d4f";
    private const string BotToken = "987654321:AAE-leak_probe-4f1c9d2e7b8a6c5d3e2f1a0b9";

    private readonly GatewayFactory _gateway = ApiKeys.Gateway();
    private readonly ConcurrentQueue<string> _seen = new();
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;
    private FakeBotApi? _bot;

    public SecretsLeakTests()
    {
        _gateway.Settings["Webhooks:Url"] = WebhookReceiver.Url;
        _gateway.Settings["Webhooks:Secret"] = FirstWebhookSecret;
        _gateway.Settings["Webhooks:Secrets:0"] = SecondWebhookSecret;
        _gateway.Settings["Logging:LogLevel:Default"] = "Trace";
        _gateway.Settings["Logging:LogLevel:Microsoft"] = "Trace";
        _gateway.Settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        _gateway.Settings["Logging:LogLevel:System"] = "Trace";
        _gateway.Logs.MinimumLevel = LogLevel.Trace;

        _meters.InstrumentPublished = (instrument, listener) => listener.EnableMeasurementEvents(instrument);
        _meters.SetMeasurementEventCallback<long>((i, value, tags, _) => Measured(i, value, tags));
        _meters.SetMeasurementEventCallback<int>((i, value, tags, _) => Measured(i, value, tags));
        _meters.SetMeasurementEventCallback<double>((i, value, tags, _) => Measured(i, value, tags));
        _meters.Start();
        _activities = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Traced,
        };
        ActivitySource.AddActivityListener(_activities);
    }

    // A key is bk_<12-character client id>_<secret> (docs/security.md); the secret itself may hold '_'.
    private const int SecretStart = 16;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _bot = await FakeBotApi.StartAsync(BotToken);
        _gateway.Settings["Notifications:Telegram:Enabled"] = "true";
        _gateway.Settings["Notifications:Telegram:ApiBaseUrl"] = _bot.Url.ToString();
        _gateway.Settings["Notifications:Telegram:Chats:0:ChatId"] = "-100200";
    }

    public async ValueTask DisposeAsync()
    {
        _activities.Dispose();
        _meters.Dispose();
        await _gateway.DisposeAsync();
        if (_bot is not null)
        {
            await _bot.DisposeAsync();
        }
    }

    [Fact]
    public async Task No_log_line_audit_row_metric_trace_webhook_response_or_error_holds_a_key_a_webhook_secret_or_the_bakong_token()
    {
        var operatorClient = _gateway.Clients().Add(new Identity.ClientRegistration(IdentityRole.Operator, [], null));
        var terminal = _gateway.Clients().Add(new Identity.ClientRegistration(IdentityRole.Terminal, ["till-1"], null));
        var other = _gateway.Clients().Add(new Identity.ClientRegistration(IdentityRole.Terminal, ["till-9"], null));
        var tokens = _gateway.Services.GetRequiredService<BakongTokenManager>();
        var firstToken = (await tokens.GetCurrentAsync(Ct))!;
        var wrongKey = terminal.Key[..SecretStart] + new string('Z', terminal.Key.Length - SecretStart);
        var payments = _gateway.PaymentsAs(terminal.Key);
        var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + operatorClient.Key));

        // The Telegram bot token, pasted through the admin API before the sale it will announce.
        Seen(await admin.SetTelegramTokenAsync(new SetTelegramTokenRequest { Token = BotToken + "\n" }, cancellationToken: Ct));

        // Create, pay, webhook.
        var created = Seen((await payments.CreatePaymentAsync(Requests.Create("flow-1"), cancellationToken: Ct)).Payment);
        await _gateway.WaitForFirstCheckAsync(created.PaymentId);
        await _gateway.PayAsync(created.Khqr);
        await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
        ReceivedWebhook paid;
        do
        {
            paid = await _gateway.Webhooks.NextAsync();
        }
        while (paid.Type != "payment.paid");
        Assert.StartsWith("Received 5000 KHR · till-1 ·", (await _bot!.NextAsync()).Text, StringComparison.Ordinal);
        Seen((await payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment);

        // Token renewal (as when Bakong answers 401).
        var renewed = (await tokens.RenewAsync(firstToken, Ct))!;
        Assert.NotEqual(firstToken.Value, renewed.Value);

        // Errors: a bad request, a wrong key, no key, another terminal's payment, a terminal at the admin API; over REST too.
        await RefusedAsync(() => payments.CreatePaymentAsync(Requests.Create("bad id\n"), cancellationToken: Ct).ResponseAsync);
        await RefusedAsync(() => _gateway.PaymentsAs(wrongKey).CreatePaymentAsync(Requests.Create("flow-2"), cancellationToken: Ct).ResponseAsync);
        await RefusedAsync(() => _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct).ResponseAsync);
        await RefusedAsync(() => _gateway.PaymentsAs(other.Key).CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct).ResponseAsync);
        await RefusedAsync(() => new AdminService.AdminServiceClient(_gateway.As("Bearer " + terminal.Key)).ListClientsAsync(new ListClientsRequest(), cancellationToken: Ct).ResponseAsync);
        await RestAsync(HttpMethod.Get, "/v1/payments/" + created.PaymentId, other.Key);
        await RestAsync(HttpMethod.Get, "/v1/payments", wrongKey);
        await RestAsync(HttpMethod.Post, "/v1/payments", terminal.Key, "{\"requestId\": 5");

        // A report and admin calls.
        Seen(await admin.GetSettlementReportAsync(new GetSettlementReportRequest { Date = "2026-03-01" }, cancellationToken: Ct));
        Seen(await admin.ListClientsAsync(new ListClientsRequest(), cancellationToken: Ct));
        // AddClient's answer is the one place a key is shown, once, by design: everything else must not hold it.
        var added = await admin.AddClientAsync(new AddClientRequest { Role = ClientRole.Kiosk, TerminalIds = { "kiosk-1" } }, cancellationToken: Ct);
        Seen(added.Client);
        Seen(await admin.RevokeClientAsync(new RevokeClientRequest { ClientId = added.Client.ClientId }, cancellationToken: Ct));

        // Telegram: a test message, the status, and a token refused for its shape (one character off).
        Assert.True(Assert.Single(Seen(await admin.SendTelegramTestAsync(new SendTelegramTestRequest(), cancellationToken: Ct)).Results).Sent);
        Assert.Equal(200, (await _bot!.NextAsync()).Status);
        Seen(await admin.GetTelegramStatusAsync(new GetTelegramStatusRequest(), cancellationToken: Ct));
        await RefusedAsync(() => admin.SetTelegramTokenAsync(new SetTelegramTokenRequest { Token = BotToken + "!" }, cancellationToken: Ct).ResponseAsync);

        // Every audit row, both audits.
        var audit = _gateway.Services.GetRequiredService<LiteDbCallAudit>();
        await audit.FlushAsync(Ct);
        var apiRows = audit.QueryApi(DateTimeOffset.MinValue, limit: 1000);
        var bakongRows = audit.Query(DateTimeOffset.MinValue, limit: 1000);
        Assert.Contains(apiRows, r => r.Action == "CreatePayment" && r.Outcome == "OK");
        Assert.Contains(bakongRows, r => r.Endpoint.Contains("renew_token", StringComparison.Ordinal));
        foreach (var row in apiRows)
        {
            _seen.Enqueue("api audit: " + row);
        }

        foreach (var row in bakongRows)
        {
            _seen.Enqueue("bakong audit: " + row);
        }

        foreach (var log in _gateway.Logs.Entries)
        {
            _seen.Enqueue($"log {log.Category} {log.EventId} {log.EventName}: {log.Message} {log.Exception}");
        }

        foreach (var webhook in _gateway.Webhooks.All)
        {
            _seen.Enqueue($"webhook {webhook.EventIdHeader} {webhook.Signature} {Encoding.UTF8.GetString(webhook.Body)}");
        }

        // The capture saw the flow (a search of nothing would pass).
        var everything = _seen.ToArray();
        Assert.Contains(everything, s => s.StartsWith("log ", StringComparison.Ordinal) && s.Contains(created.PaymentId, StringComparison.Ordinal));
        Assert.Contains(everything, s => s.StartsWith("metric ", StringComparison.Ordinal));
        Assert.Contains(everything, s => s.StartsWith("trace ", StringComparison.Ordinal));
        Assert.Contains(everything, s => s.StartsWith("error ", StringComparison.Ordinal));

        var secrets = new Dictionary<string, string>
        {
            ["the first Bakong token"] = firstToken.Value,
            ["the first Bakong token's signature"] = firstToken.Value.Split('.')[2],
            ["the renewed Bakong token"] = renewed.Value,
            ["the renewed Bakong token's signature"] = renewed.Value.Split('.')[2],
            ["the first webhook secret"] = FirstWebhookSecret,
            ["the second webhook secret"] = SecondWebhookSecret,
            ["the Telegram bot token"] = BotToken,
            ["the Telegram bot token's secret"] = BotToken[(BotToken.IndexOf(':', StringComparison.Ordinal) + 1)..],
        };
        foreach (var (name, key) in new[] { ("operator", operatorClient.Key), ("terminal", terminal.Key), ("other terminal", other.Key), ("wrong", wrongKey), ("added kiosk", added.Key) })
        {
            secrets[$"the {name} key"] = key;
            secrets[$"the {name} key's secret"] = key[SecretStart..];
        }

        Assert.All(secrets.Values, s => Assert.True(s.Length >= 32, "a secret this short could match by chance"));
        var leaks = (from secret in secrets from line in everything where line.Contains(secret.Value, StringComparison.Ordinal) select $"{secret.Key} in: {line}").ToList();
        Assert.True(leaks.Count == 0, string.Join(Environment.NewLine, leaks.Take(10)));
    }

    private T Seen<T>(T response)
    {
        _seen.Enqueue("response " + response);
        return response;
    }

    private async Task RefusedAsync<T>(Func<Task<T>> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        _seen.Enqueue($"error {e.StatusCode} {e.Status.Detail} {string.Join(" ", e.Trailers.Select(t => t.IsBinary ? Encoding.UTF8.GetString(t.ValueBytes) : t.Value))} {e}");
    }

    private async Task RestAsync(HttpMethod method, string path, string key, string? json = null)
    {
        using var http = _gateway.CreateClient();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, Ct);
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        _seen.Enqueue($"error {(int)response.StatusCode} {response.Headers} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private void Measured<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var text = new StringBuilder($"metric {instrument.Meter.Name} {instrument.Name} {value}");
        foreach (var tag in tags)
        {
            text.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
        }

        _seen.Enqueue(text.ToString());
    }

    private void Traced(Activity activity)
    {
        // Telegram's side of a Bot API call (the fake, in this process) sees the token in its URL by design. And a span
        // the gateway's OpenTelemetry pipeline dropped (not Recorded: the HTTP client instrumentation's filter leaves
        // out Bot API calls, whose url.full holds the token) is exported nowhere; System.Net.Http still hands it to
        // any in-process listener, which the gateway has none of besides OpenTelemetry (docs/security.md).
        if (activity.Source.Name == FakeBotApi.ActivitySourceName || !activity.Recorded)
        {
            return;
        }

        var text = new StringBuilder($"trace {activity.Source.Name} {activity.OperationName} {activity.DisplayName} {activity.Status} {activity.StatusDescription}");
        foreach (var tag in activity.TagObjects)
        {
            text.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
        }

        foreach (var item in activity.Baggage)
        {
            text.Append(" baggage ").Append(item.Key).Append('=').Append(item.Value);
        }

        foreach (var activityEvent in activity.Events)
        {
            text.Append(" event ").Append(activityEvent.Name);
            foreach (var tag in activityEvent.Tags)
            {
                text.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
            }
        }

        _seen.Enqueue(text.ToString());
    }
}
