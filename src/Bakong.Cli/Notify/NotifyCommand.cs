using System.CommandLine;
using System.Globalization;
using System.Text;
using Bakong.Cli.Payments;
using Bakong.Cli.Sandbox;
using Bakong.Cli.Token;
using Bakong.Grpc.Admin.V1;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Storage;
using Bakong.OpenApi.Tokens;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Bakong.Cli.Notify;

/// <summary><c>bakong notify telegram set-token|status|test</c>: the payment announcements' bot token, status and a test message.</summary>
internal sealed class NotifyCommand : Command
{
    public NotifyCommand(CliContext context)
        : base("notify", "Payment announcements (Telegram): set the bot token, see their status, send a test message.")
    {
        Subcommands.Add(new TelegramCommand(context));
    }
}

/// <summary>
/// <c>bakong notify telegram ...</c>. The bot token is read from stdin (a pipe) or typed at a prompt that does not echo
/// it, never taken from the command line (a shell history, <c>ps</c>), and stored encrypted in the token store, through
/// the running gateway's admin API when one holds the data directory (as <c>bakong token set</c>), else in the files.
/// <c>status</c> and <c>test</c> ask the running gateway: it has the chats' settings and sends the messages.
/// </summary>
/// <remarks>
/// Exit codes: 0 done (status: announcements on with a token; test: every chat got the message); 1 the gateway refused
/// or could not be reached, announcements off or without a token, a chat did not get the test message; 2 bad input.
/// </remarks>
internal sealed class TelegramCommand : Command
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm 'UTC'";

    private readonly CliContext _context;
    private readonly Option<string?> _data = BakongSetup.Data();
    private readonly Option<string?> _tokenKey = BakongSetup.TokenKey();

    public TelegramCommand(CliContext context)
        : base("telegram", "The Telegram bot that announces every settled payment (Notifications:Telegram in the gateway's settings).")
    {
        _context = context;
        Subcommands.Add(SetToken());
        Subcommands.Add(Status());
        Subcommands.Add(Test());
    }

    private Command SetToken()
    {
        var command = new Command(
            "set-token",
            "Save the bot token from @BotFather, encrypted beside the Bakong token. Read from stdin when piped ('bakong notify telegram set-token < file'), else typed at a prompt that does not show it; never an argument.")
        {
            _data,
            _tokenKey,
        };
        var gateway = GatewayOptions.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var data = BakongSetup.ResolveData(parseResult, _data, out var dataError);
            var keyPath = BakongSetup.ResolveTokenKey(parseResult, _tokenKey, out var keyError);
            if (data is null || keyError is not null)
            {
                return await WriteErrorAsync(dataError ?? keyError!, ExitCodes.BadInput, cancellationToken).ConfigureAwait(false);
            }

            var token = StoredSecrets.ReadTelegramBotToken(await ReadTokenAsync(cancellationToken).ConfigureAwait(false));
            if (token is null)
            {
                return await WriteErrorAsync(StoredSecrets.NotATelegramBotTokenMessage, ExitCodes.BadInput, cancellationToken).ConfigureAwait(false);
            }

            // Only the token store is used: the environment and URL are the defaults a session needs to start.
            var target = new BakongTarget(data, BakongEnvironment.Sandbox, new Uri(SandboxCommand.DefaultUrl), keyPath);
            if (RunningGateway.Holds(parseResult, gateway.Server, target.TokenDatabase))
            {
                return await CallAsync(parseResult, gateway, async admin =>
                {
                    await admin.SetTelegramTokenAsync(new SetTelegramTokenRequest { Token = token }, cancellationToken: cancellationToken).ConfigureAwait(false);
                    await WriteAsync("Telegram bot token saved (encrypted); the gateway uses it from now on.", cancellationToken).ConfigureAwait(false);
                    return ExitCodes.Success;
                }).ConfigureAwait(false);
            }

            return await SetHereAsync(target, token, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private async Task<int> SetHereAsync(BakongTarget target, string token, CancellationToken cancellationToken)
    {
        BakongSession session;
        try
        {
            session = await BakongSession.StartAsync(_context, target, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StoreLockedException or StoreException)
        {
            return await WriteErrorAsync(e.Message, BakongSetup.Refused, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OptionsValidationException)
        {
            return await WriteErrorAsync($"Cannot open the token store in {target.DataDirectory} ({e.Message}).", BakongSetup.Refused, cancellationToken).ConfigureAwait(false);
        }

        await using (session.ConfigureAwait(false))
        {
            session.Secrets.Set(StoredSecrets.TelegramBotToken, token);
        }

        await WriteAsync($"Telegram bot token saved (encrypted) in {target.TokenDatabase}; the gateway uses it when it runs.", cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private Command Status()
    {
        var command = new Command(
            "status",
            "Ask the running gateway: announcements on or off, whether a bot token is set (never the token), each chat with its language, terminals, last announcement and last failure. Exit code 0: on with a token.");
        var gateway = GatewayOptions.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CallAsync(parseResult, gateway, async admin =>
        {
            var status = (await admin.GetTelegramStatusAsync(new GetTelegramStatusRequest(), cancellationToken: cancellationToken).ConfigureAwait(false)).Telegram;
            foreach (var line in StatusLines(status))
            {
                await WriteAsync(line, cancellationToken).ConfigureAwait(false);
            }

            return status.Enabled && status.TokenSet ? ExitCodes.Success : BakongSetup.Refused;
        }));
        return command;
    }

    private Command Test()
    {
        var command = new Command("test", "Through the running gateway, send one test message to every configured chat now and print how each went. Exit code 0: every chat got it.");
        var gateway = GatewayOptions.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CallAsync(parseResult, gateway, async admin =>
        {
            var response = await admin.SendTelegramTestAsync(new SendTelegramTestRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var result in response.Results)
            {
                await WriteAsync($"{result.ChatId}  " + (result.Sent ? "sent" : "NOT SENT: " + result.Failure), cancellationToken).ConfigureAwait(false);
            }

            return response.Results.All(r => r.Sent) ? ExitCodes.Success : BakongSetup.Refused;
        }));
        return command;
    }

    internal static IEnumerable<string> StatusLines(TelegramStatus status)
    {
        yield return "announcements: " + (status.Enabled ? "on" : "off (Notifications:Telegram:Enabled)");
        yield return "bot token:     " + (status.TokenSet
            ? "set " + Format(status.TokenSetTime.ToDateTimeOffset())
            : status.TokenUnreadable
                ? "UNREADABLE (the token key was replaced): set it again with 'bakong notify telegram set-token'"
                : "not set: 'bakong notify telegram set-token'");
        foreach (var chat in status.Chats)
        {
            var line = new StringBuilder();
            line.Append(CultureInfo.InvariantCulture, $"chat {chat.ChatId}  {chat.Language}  terminals {(chat.TerminalIds.Count == 0 ? "all" : string.Join(",", chat.TerminalIds))}");
            line.Append("  last announcement ").Append(chat.LastDeliveryTime is { } delivered ? Format(delivered.ToDateTimeOffset()) : "none since start");
            if (chat.LastError.Length > 0)
            {
                line.Append("  last error ").Append(chat.LastErrorTime is { } failed ? Format(failed.ToDateTimeOffset()) + ": " : "").Append(chat.LastError);
            }

            yield return line.ToString();
        }
    }

    /// <summary>
    /// The token as typed at a prompt that does not echo it (an interactive console), else the first line of stdin.
    /// </summary>
    private async Task<string> ReadTokenAsync(CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(_context.Input, Console.In) || Console.IsInputRedirected)
        {
            return await _context.Input.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        }

        await _context.Error.WriteAsync("Telegram bot token (from @BotFather; not shown): ".AsMemory(), cancellationToken).ConfigureAwait(false);
        var typed = new StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                typed.Length = Math.Max(0, typed.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }

        await _context.Error.WriteLineAsync().ConfigureAwait(false);
        return typed.ToString();
    }

    private async Task<int> CallAsync(ParseResult parseResult, GatewayOptions gateway, Func<AdminService.AdminServiceClient, Task<int>> body)
    {
        var server = parseResult.GetValue(gateway.Server)!;
        using var channel = GatewayClient.Open(server, GatewayClient.KeyOf(parseResult, gateway.Key));
        try
        {
            return await body(new AdminService.AdminServiceClient(channel)).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            return GatewayClient.ReportError(_context, json: false, server, e);
        }
    }

    private Task WriteAsync(string line, CancellationToken cancellationToken) => _context.Output.WriteLineAsync(line.AsMemory(), cancellationToken);

    private async Task<int> WriteErrorAsync(string message, int exitCode, CancellationToken cancellationToken)
    {
        await _context.Error.WriteLineAsync(message.ReplaceLineEndings(" ").AsMemory(), cancellationToken).ConfigureAwait(false);
        return exitCode;
    }

    private static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString(TimeFormat, CultureInfo.InvariantCulture);
}
