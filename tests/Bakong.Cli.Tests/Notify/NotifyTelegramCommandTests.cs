extern alias testing;

using System.Text.Json;
using Bakong.Cli.Sandbox;
using Bakong.Cli.Tests.Payments;
using Bakong.Cli.Token;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using testing::Bakong.Testing.Telegram;

namespace Bakong.Cli.Tests.Notify;

/// <summary>
/// <c>bakong notify telegram set-token|status|test</c>: the token from stdin only, never quoted back; in the files with
/// the gateway stopped, through its admin API (an operator's key) while it runs; status and test from the gateway.
/// </summary>
public sealed class NotifyTelegramCommandTests
{
    private const string BotToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Set_token_with_the_gateway_stopped_stores_the_piped_token_encrypted_in_the_data_directory()
    {
        var data = Directory.CreateTempSubdirectory("bakong-notify-").FullName;
        try
        {
            var set = await Cli.RunWithInputAsync(BotToken + "\n", "notify", "telegram", "set-token", "--data", data);

            Assert.Equal((0, ""), (set.ExitCode, set.Error));
            Assert.StartsWith("Telegram bot token saved (encrypted) in ", set.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(BotToken, set.Output, StringComparison.Ordinal);
            var target = new BakongTarget(data, BakongEnvironment.Sandbox, new Uri(SandboxCommand.DefaultUrl));
            await using var session = await BakongSession.StartAsync(
                new CliContext(new FakeTimeProvider(), TextReader.Null, TextWriter.Null, TextWriter.Null), target, null, Ct);
            Assert.Equal(BotToken, session.Secrets.Get(StoredSecrets.TelegramBotToken));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_malformed_token_or_none_is_bad_input_and_the_value_is_never_quoted()
    {
        var data = Directory.CreateTempSubdirectory("bakong-notify-").FullName;
        try
        {
            var bad = await Cli.RunWithInputAsync("123456789:AAHdqTcv secret words\n", "notify", "telegram", "set-token", "--data", data);
            var none = await Cli.RunWithInputAsync("", "notify", "telegram", "set-token", "--data", data);
            var argument = await Cli.RunAsync("notify", "telegram", "set-token", BotToken, "--data", data);

            Assert.Equal((2, StoredSecrets.NotATelegramBotTokenMessage), (bad.ExitCode, Assert.Single(bad.ErrorLines)));
            Assert.DoesNotContain("AAHdqTcv", bad.Error + bad.Output, StringComparison.Ordinal);
            Assert.Equal(2, none.ExitCode);
            Assert.NotEqual(0, argument.ExitCode); // no argument to take it from: a usage error
            Assert.False(File.Exists(Path.Combine(data, "bakong-tokens.db")));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task While_the_gateway_runs_set_token_goes_through_its_admin_api_for_an_operator_only_then_status_and_test_answer()
    {
        await using var bot = await FakeBotApi.StartAsync(BotToken);
        await using var gateway = new CliGateway();
        gateway.Settings["Notifications:Telegram:Enabled"] = "true";
        gateway.Settings["Notifications:Telegram:ApiBaseUrl"] = bot.Url.ToString();
        gateway.Settings["Notifications:Telegram:Chats:0:ChatId"] = "-100200";
        gateway.Settings["Notifications:Telegram:Chats:0:Terminals:0"] = "POS-01";
        var data = gateway.DataDirectory;
        var made = await Cli.RunAsync("clients", "add", "--role", "operator", "--json", "--data", data);
        var terminal = await Cli.RunAsync("clients", "add", "--role", "terminal", "--terminal", "POS-01", "--json", "--data", data);
        var key = JsonDocument.Parse(made.Output).RootElement.GetProperty("key").GetString()!;
        var terminalKey = JsonDocument.Parse(terminal.Output).RootElement.GetProperty("key").GetString()!;
        gateway.Settings["Auth:Mode"] = "ApiKeys";

        var refused = await gateway.RunWithInputWithoutServerAsync(BotToken, "notify", "telegram", "set-token", "--data", data, "--key", terminalKey);
        var before = await gateway.RunAsync("notify", "telegram", "status", "--key", key);
        var set = await gateway.RunWithInputWithoutServerAsync(BotToken, "notify", "telegram", "set-token", "--data", data, "--key", key);
        var status = await gateway.RunAsync("notify", "telegram", "status", "--key", key);
        var test = await gateway.RunAsync("notify", "telegram", "test", "--key", key);

        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("PERMISSION_DENIED: ", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(1, before.ExitCode);
        Assert.Contains("bot token:     not set: 'bakong notify telegram set-token'", before.OutputLines);
        Assert.Equal((0, "Telegram bot token saved (encrypted); the gateway uses it from now on.\n"), (set.ExitCode, set.Output));
        Assert.Equal(BotToken, gateway.Services.GetRequiredService<StoredSecrets>().Get(StoredSecrets.TelegramBotToken));
        Assert.Equal(0, status.ExitCode);
        Assert.Equal(
            ["announcements: on", "bot token:     set 2026-03-01 09:00 UTC", "chat -100200  en  terminals POS-01  last announcement none since start"],
            status.OutputLines);
        Assert.Equal((0, "-100200  sent\n"), (test.ExitCode, test.Output));
        Assert.StartsWith("Test message from the Bakong gateway", (await bot.NextAsync()).Text, StringComparison.Ordinal);
        Assert.DoesNotContain(BotToken, refused.Error + set.Output + status.Output + test.Output, StringComparison.Ordinal);
    }
}
