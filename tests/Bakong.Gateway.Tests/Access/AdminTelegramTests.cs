using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Bakong.Grpc.Admin.V1;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Tokens;
using Bakong.Testing.Telegram;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using IdentityRole = Bakong.Identity.ClientRole;

namespace Bakong.Gateway.Tests.Access;

/// <summary>
/// The Telegram announcements in <c>bakong.admin.v1.AdminService</c>: operators only; the bot token goes in encrypted
/// and never comes out; the status names the chats and what last happened in each; the test message reaches each chat.
/// </summary>
public sealed class AdminTelegramTests : IAsyncLifetime
{
    private const string BotToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

    private readonly GatewayFactory _gateway = ApiKeys.Gateway();
    private FakeBotApi _bot = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _bot = await FakeBotApi.StartAsync(BotToken);
        _gateway.Settings["Notifications:Telegram:Enabled"] = "true";
        _gateway.Settings["Notifications:Telegram:ApiBaseUrl"] = _bot.Url.ToString();
        _gateway.Settings["Notifications:Telegram:Chats:0:ChatId"] = "-100200";
        _gateway.Settings["Notifications:Telegram:Chats:0:Terminals:0"] = "till-2";
        _gateway.Settings["Notifications:Telegram:Chats:1:ChatId"] = "@shop_owner";
        _gateway.Settings["Notifications:Telegram:Chats:1:Language"] = "km";
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _bot.DisposeAsync();
    }

    private AdminService.AdminServiceClient AsOperator() => new(_gateway.As("Bearer " + _gateway.AddClient(IdentityRole.Operator)));

    [Fact]
    public async Task A_terminal_or_kiosk_key_is_permission_denied_on_every_telegram_call_and_stores_nothing()
    {
        foreach (var key in new[] { _gateway.AddClient(IdentityRole.Terminal, "till-1"), _gateway.AddClient(IdentityRole.Kiosk, "K-1") })
        {
            var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + key));
            Func<Task>[] calls =
            [
                () => admin.GetTelegramStatusAsync(new GetTelegramStatusRequest(), cancellationToken: Ct).ResponseAsync,
                () => admin.SetTelegramTokenAsync(new SetTelegramTokenRequest { Token = BotToken }, cancellationToken: Ct).ResponseAsync,
                () => admin.SendTelegramTestAsync(new SendTelegramTestRequest(), cancellationToken: Ct).ResponseAsync,
            ];

            foreach (var call in calls)
            {
                Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(call)).StatusCode);
            }
        }

        Assert.Null(_gateway.Services.GetRequiredService<StoredSecrets>().Get(StoredSecrets.TelegramBotToken));
        Assert.True(_bot.NothingMore);
    }

    [Fact]
    public async Task The_test_message_is_failed_precondition_until_a_token_is_set_then_reaches_every_chat_in_its_language()
    {
        var admin = AsOperator();

        var early = await Assert.ThrowsAsync<RpcException>(() => admin.SendTelegramTestAsync(new SendTelegramTestRequest(), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
        Assert.Equal("TELEGRAM_NOT_READY", early.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.Contains("bakong notify telegram set-token", early.Status.Detail, StringComparison.Ordinal);

        var set = await admin.SetTelegramTokenAsync(new SetTelegramTokenRequest { Token = " " + BotToken + "\n" }, cancellationToken: Ct);
        var test = await admin.SendTelegramTestAsync(new SendTelegramTestRequest(), cancellationToken: Ct);

        Assert.Equal((true, true, false), (set.Telegram.Enabled, set.Telegram.TokenSet, set.Telegram.TokenUnreadable));
        Assert.Equal(_gateway.Clock.GetUtcNow(), set.Telegram.TokenSetTime.ToDateTimeOffset());
        Assert.Equal(BotToken, _gateway.Services.GetRequiredService<StoredSecrets>().Get(StoredSecrets.TelegramBotToken));
        Assert.Equal([("-100200", true), ("@shop_owner", true)], test.Results.Select(r => (r.ChatId, r.Sent)));
        var calls = new[] { await _bot.NextAsync(), await _bot.NextAsync() };
        Assert.StartsWith("Test message", calls[0].Text, StringComparison.Ordinal);
        Assert.StartsWith("សារសាកល្បង", calls[1].Text, StringComparison.Ordinal);
        Assert.DoesNotContain(BotToken, set.ToString() + test, StringComparison.Ordinal);
        Assert.Single(_gateway.Logs.Named("TelegramTokenSet"));
    }

    [Fact]
    public async Task A_sale_is_announced_only_in_the_chats_of_its_terminal_and_the_status_shows_each_chats_last_delivery()
    {
        var admin = AsOperator();
        await admin.SetTelegramTokenAsync(new SetTelegramTokenRequest { Token = BotToken }, cancellationToken: Ct);

        // till-1 is not one of the first chat's terminals: only the chat of every terminal hears of it.
        var payments = _gateway.PaymentsAs(_gateway.AddClient(IdentityRole.Terminal, "till-1"));
        var created = (await payments.CreatePaymentAsync(Requests.Create("sale-1"), cancellationToken: Ct)).Payment;
        await _gateway.WaitForFirstCheckAsync(created.PaymentId);
        await _gateway.PayAsync(created.Khqr);
        await _gateway.AdvanceToNextCheckAsync(created.PaymentId);
        var call = await _bot.NextAsync();

        // The fake records the call before it answers; the gateway records the delivery (then logs it) after.
        await _gateway.Logs.WaitForAsync("TelegramSent");
        var status = (await admin.GetTelegramStatusAsync(new GetTelegramStatusRequest(), cancellationToken: Ct)).Telegram;

        Assert.Equal("@shop_owner", call.ChatId);
        Assert.Equal($"បានទទួល 5000 KHR · till-1 · {_gateway.Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(7)):HH:mm}", call.Text);
        Assert.Equal(["-100200", "@shop_owner"], status.Chats.Select(c => c.ChatId));
        Assert.Equal(["till-2"], status.Chats[0].TerminalIds);
        Assert.Equal(("en", "km"), (status.Chats[0].Language, status.Chats[1].Language));
        Assert.Null(status.Chats[0].LastDeliveryTime);
        Assert.Equal(_gateway.Clock.GetUtcNow(), status.Chats[1].LastDeliveryTime.ToDateTimeOffset());
        Assert.Equal("", status.Chats[1].LastError);
        Assert.True(_bot.NothingMore);
    }

    [Fact]
    public async Task A_malformed_bot_token_is_invalid_argument_naming_token_without_quoting_it_and_the_audit_keeps_no_target()
    {
        var admin = AsOperator();
        const string Pasted = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw!";

        var e = await Assert.ThrowsAsync<RpcException>(() => admin.SetTelegramTokenAsync(new SetTelegramTokenRequest { Token = Pasted }, cancellationToken: Ct).ResponseAsync);
        await admin.SetTelegramTokenAsync(new SetTelegramTokenRequest { Token = BotToken }, cancellationToken: Ct);
        await _gateway.Services.GetRequiredService<LiteDbCallAudit>().FlushAsync(Ct);
        var audited = await admin.ListApiCallsAsync(new ListApiCallsRequest { Action = "SetTelegramToken" }, cancellationToken: Ct);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("token", Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.DoesNotContain("AAHdqTcv", e.Status.ToString(), StringComparison.Ordinal);
        Assert.Equal([("OK", ""), ("INVALID_ARGUMENT", "")], audited.Calls.Select(c => (c.Outcome, c.Target)));
        Assert.DoesNotContain("AAHdqTcv", audited.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_reads_the_status_with_get_sets_the_token_and_sends_the_test_with_json_posts()
    {
        using var http = _gateway.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _gateway.AddClient(IdentityRole.Operator));

        using var set = await http.PostAsync(
            new Uri("/v1/notifications/telegram/token", UriKind.Relative), new StringContent($"{{\"token\":\"{BotToken}\"}}", Encoding.UTF8, "application/json"), Ct);
        using var test = await http.PostAsync(new Uri("/v1/notifications/telegram:test", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"), Ct);
        using var status = await http.GetAsync(new Uri("/v1/notifications/telegram", UriKind.Relative), Ct);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (set.StatusCode, test.StatusCode, status.StatusCode));
        var body = (await status.Content.ReadAsStringAsync(Ct)).Replace(" ", "", StringComparison.Ordinal);
        Assert.Contains("\"tokenSet\":true", body, StringComparison.Ordinal);
        Assert.Contains("\"chatId\":\"@shop_owner\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("AAHdqTcv", body + await set.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
