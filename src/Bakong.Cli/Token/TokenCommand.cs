using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bakong.Cli.Payments;
using Bakong.Grpc.Admin.V1;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Storage;
using Bakong.OpenApi.Tokens;
using Grpc.Core;
using Microsoft.Extensions.Options;
using TokenStatus = Bakong.OpenApi.Tokens.TokenStatus;

namespace Bakong.Cli.Token;

/// <summary>
/// <c>bakong token status|register|verify|renew|set|rotate-key</c>: get a Bakong API token and keep it alive, in the same encrypted
/// store the gateway reads. Output never contains the token.
/// </summary>
/// <remarks>
/// Exit codes: 0 done (status: a healthy token); 1 Bakong refused or could not be reached (status: the token is
/// missing, expiring soon or expired); 2 bad input (a malformed e-mail, code or token, a bad option).
/// </remarks>
internal sealed class TokenCommand : Command
{
    private const int MaxNameLength = 100;

    private readonly CliContext _context;
    private readonly Option<string?> _data = BakongSetup.Data();
    private readonly Option<BakongEnvironment?> _environment = BakongSetup.Environment();
    private readonly Option<Uri?> _url = BakongSetup.Url();
    private readonly Option<string?> _tokenKey = BakongSetup.TokenKey();

    public TokenCommand(CliContext context)
        : base("token", "Get a Bakong API token (register, then verify the e-mailed code, or paste one), renew it, and check its expiry.")
    {
        _context = context;

        // On every subcommand: 'bakong token status --environment sit' and 'bakong token --environment sit status' both work.
        foreach (var option in new Option[] { _data, _environment, _url, _tokenKey })
        {
            option.Recursive = true;
            Options.Add(option);
        }

        Subcommands.Add(Status());
        Subcommands.Add(Register());
        Subcommands.Add(Verify());
        Subcommands.Add(Set());
        Subcommands.Add(Renew());
        Subcommands.Add(RotateKey());
    }

    private Command Status()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object (environment, state, expiresAt, daysLeft, email, setAt, renewed, message)." };
        var command = new Command(
            "status",
            "Show the token's environment, expiry and days left. Exit code 0: healthy; 1: missing, expiring soon (3 days) or expired.")
        {
            json,
        };
        var gateway = GatewayOptions.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
            await ThroughGatewayAsync(parseResult, gateway, async admin =>
                await PrintStatusAsync(FromProto((await admin.GetTokenStatusAsync(new GetTokenStatusRequest(), cancellationToken: cancellationToken)).Token), parseResult.GetValue(json), cancellationToken).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false)
            ?? await RunAsync(parseResult, null, (target, session) =>
                PrintStatusAsync(
                    // No token database yet: report the token missing without creating the store (and its key).
                    session?.Manager.GetStatus() ?? new TokenStatus(TokenState.Missing, target.Environment, null, null, null, null, false),
                    parseResult.GetValue(json),
                    cancellationToken), openIfMissing: false, cancellationToken).ConfigureAwait(false));
        return command;
    }

    private async Task<int> PrintStatusAsync(TokenStatus status, bool json, CancellationToken cancellationToken)
    {
        if (json)
        {
            await WriteAsync(_context.Output, StatusJson(status).ToJsonString(), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            foreach (var line in StatusLines(status))
            {
                await WriteAsync(_context.Output, line, cancellationToken).ConfigureAwait(false);
            }
        }

        return status.State == TokenState.Healthy ? ExitCodes.Success : BakongSetup.Refused;
    }

    private Command Register()
    {
        var email = new Option<string>("--email") { Description = "Your e-mail address (at most 30 characters); Bakong sends the verification code there, and renewals use it.", Required = true, HelpName = "address" };
        var organization = new Option<string>("--organization") { Description = "Your organization's name, as Bakong registers it.", Required = true, HelpName = "name" };
        var project = new Option<string>("--project") { Description = "Your project's name, as Bakong registers it.", Required = true, HelpName = "name" };
        var command = new Command("register", "Ask Bakong to e-mail a verification code; then run 'bakong token verify --code <code>'.") { email, organization, project };
        command.Validators.Add(result =>
        {
            CheckEmail(result, email);
            CheckName(result, organization);
            CheckName(result, project);
        });
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, null, async (target, session) =>
        {
            var address = parseResult.GetValue(email)!.Trim();
            var result = await session!.Onboarding.RegisterAsync(address, parseResult.GetValue(organization)!, parseResult.GetValue(project)!, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                return await FailAsync(result.Message, cancellationToken).ConfigureAwait(false);
            }

            await WriteAsync(_context.Output, result.Message, cancellationToken).ConfigureAwait(false);
            if (target.Environment == BakongEnvironment.Sandbox && target.BaseUrl is { } url)
            {
                var mailbox = $"{url.AbsoluteUri.TrimEnd('/')}/control/mailbox?email={Uri.EscapeDataString(address)}";
                await WriteAsync(_context.Output, $"The sandbox's e-mail is its mailbox: curl '{mailbox}'", cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }, openIfMissing: true, cancellationToken));
        return command;
    }

    private Command Verify()
    {
        var code = new Option<string>("--code") { Description = "The verification code from Bakong's e-mail.", Required = true, HelpName = "code" };
        var command = new Command("verify", "Exchange the e-mailed verification code for a token, save it (encrypted), and show its expiry.") { code };
        command.Validators.Add(result =>
        {
            if (result.GetResult(code) is { Tokens: [var token] } && (token.Value.Trim().Length == 0 || token.Value.Trim().Any(char.IsWhiteSpace)))
            {
                result.AddError("--code must be the code from Bakong's e-mail, one word.");
            }
        });
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, null, async (_, session) =>
        {
            var result = await session!.Onboarding.VerifyAsync(parseResult.GetValue(code)!, cancellationToken).ConfigureAwait(false);
            return await ReportAsync(result, cancellationToken).ConfigureAwait(false);
        }, openIfMissing: true, cancellationToken));
        return command;
    }

    private Command Set()
    {
        var token = new Argument<string>("token")
        {
            Description = "The token from Bakong's e-mail, or - to read it from stdin (keeps it out of your shell history).",
        };
        var email = new Option<string?>("--email") { Description = "The e-mail registered with Bakong, remembered for 'bakong token renew'.", HelpName = "address" };
        var command = new Command("set", "Save a token you received by e-mail (encrypted); an expired token or one that is not a JWT is refused.") { token, email };
        command.Validators.Add(result => CheckEmail(result, email));
        var gateway = GatewayOptions.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var given = parseResult.GetValue(token)!;
            if (given == "-")
            {
                given = await _context.Input.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }

            if (TokenOnboarding.ReadPasted(given) is not { } pasted)
            {
                await FailAsync(TokenOnboarding.NotATokenMessage, cancellationToken).ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            return await ThroughGatewayAsync(parseResult, gateway, async admin =>
            {
                var request = new SetTokenRequest { Token = pasted, Email = parseResult.GetValue(email)?.Trim() ?? string.Empty };
                var response = await admin.SetTokenAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
                await WriteAsync(_context.Output, response.Message, cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }, cancellationToken).ConfigureAwait(false)
            ?? await SetHereAsync(parseResult, pasted, email, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private Task<int> SetHereAsync(ParseResult parseResult, string value, Option<string?> email, CancellationToken cancellationToken) =>
        RunAsync(parseResult, null, async (_, session) =>
        {

            // Nothing here reaches Bakong: every refusal is about the token given.
            var result = session!.Onboarding.Set(value, parseResult.GetValue(email)?.Trim());
            return result.Succeeded ? await ReportAsync(result, cancellationToken).ConfigureAwait(false) : await BadInputAsync(result.Message, cancellationToken).ConfigureAwait(false);
        }, openIfMissing: true, cancellationToken);

    private Command Renew()
    {
        var email = new Option<string?>("--email")
        {
            Description = "The e-mail registered with Bakong (default: the one saved by register, set --email or an earlier renew); remembered on success.",
            HelpName = "address",
        };
        var command = new Command("renew", "Get a new token from Bakong's /v1/renew_token for the registered e-mail, and save it; through the gateway when one runs (it renews once for all).") { email };
        command.Validators.Add(result => CheckEmail(result, email));
        var gateway = GatewayOptions.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var given = parseResult.GetValue(email)?.Trim();
            return await ThroughGatewayAsync(parseResult, gateway, async admin =>
            {
                if (!string.IsNullOrEmpty(given))
                {
                    return await BadInputAsync("--email: a running gateway renews with the e-mail it has; give a new one with the token ('bakong token set <token> --email ...').", cancellationToken).ConfigureAwait(false);
                }

                var response = await admin.RenewTokenAsync(new RenewTokenRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
                await WriteAsync(_context.Output, response.Message, cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }, cancellationToken).ConfigureAwait(false)
            ?? await RunAsync(parseResult, given, async (target, session) =>
            {
                if (session!.Manager.RenewalEmail is null)
                {
                    return await BadInputAsync(
                        $"No e-mail is registered for the {BakongSetup.Name(target.Environment)} token: give --email (the address registered with Bakong), or run 'bakong token register'.",
                        cancellationToken).ConfigureAwait(false);
                }

                var result = await session.Onboarding.RenewAsync(cancellationToken).ConfigureAwait(false);
                if (result.Succeeded && !string.IsNullOrEmpty(given))
                {
                    session.Manager.SetEmail(given);
                }

                return await ReportAsync(result, cancellationToken).ConfigureAwait(false);
            }, openIfMissing: true, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private Command RotateKey()
    {
        var command = new Command(
            "rotate-key",
            "With the gateway stopped: make a new token encryption key, re-encrypt every stored token (all environments) under it, and keep the old key as <key>.old-<time>.");
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, null, async (target, session) =>
        {
            if (session is null)
            {
                return await FailAsync($"There is no token store in {target.DataDirectory}: nothing to rotate.", cancellationToken).ConfigureAwait(false);
            }

            string oldKey;
            try
            {
                oldKey = session.Manager.RotateKey();
            }
            catch (InvalidOperationException e)
            {
                return await FailAsync(e.Message, cancellationToken).ConfigureAwait(false);
            }

            await WriteAsync(_context.Output, $"The token key {target.TokenKeyFile} is new and every stored token is encrypted under it.", cancellationToken).ConfigureAwait(false);
            await WriteAsync(
                _context.Output,
                $"The old key is kept as {oldKey}: it opens only copies of the token store made before now (backups); delete it once none is needed (at once if the key leaked).",
                cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }, openIfMissing: false, cancellationToken));
        return command;
    }

    /// <summary>
    /// When a gateway runs on the data directory (or <c>--server</c> names one; <see cref="RunningGateway"/>), runs
    /// <paramref name="body"/> against its admin API and returns the exit code; null when the command is to open the
    /// files itself (or the options are wrong: the file path reports that).
    /// </summary>
    private async Task<int?> ThroughGatewayAsync(
        ParseResult parseResult, GatewayOptions gateway, Func<AdminService.AdminServiceClient, Task<int>> body, CancellationToken cancellationToken)
    {
        var target = BakongSetup.Resolve(parseResult, _data, _environment, _url, _tokenKey, out _);
        if (target is null || !RunningGateway.Holds(parseResult, gateway.Server, target.TokenDatabase, target.AuditDatabase))
        {
            return null;
        }

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

    /// <summary>A status as the gateway sent it, in the type the lines and JSON are written from (the e-mail masked).</summary>
    private TokenStatus FromProto(Grpc.Admin.V1.TokenStatus status)
    {
        var expiresAt = status.ExpireTime?.ToDateTimeOffset();
        return new TokenStatus(
            status.State switch
            {
                Grpc.Admin.V1.TokenStatus.Types.State.Healthy => TokenState.Healthy,
                Grpc.Admin.V1.TokenStatus.Types.State.ExpiringSoon => TokenState.ExpiringSoon,
                Grpc.Admin.V1.TokenStatus.Types.State.Expired => TokenState.Expired,
                _ => TokenState.Missing,
            },
            status.Environment switch
            {
                "sit" => BakongEnvironment.Sit,
                "production" => BakongEnvironment.Production,
                _ => BakongEnvironment.Sandbox,
            },
            expiresAt,
            expiresAt - _context.TimeProvider.GetUtcNow(),
            status.EmailHint.Length > 0 ? status.EmailHint : null,
            status.SetTime?.ToDateTimeOffset(),
            status.Renewed);
    }

    /// <summary>
    /// Resolves the target, opens a <see cref="BakongSession"/> (unless the token database does not exist and
    /// <paramref name="openIfMissing"/> is false), runs <paramref name="body"/>, and closes the session — audit written,
    /// files closed — before returning the exit code.
    /// </summary>
    private async Task<int> RunAsync(
        ParseResult parseResult,
        string? renewalEmail,
        Func<BakongTarget, BakongSession?, Task<int>> body,
        bool openIfMissing,
        CancellationToken cancellationToken)
    {
        var target = BakongSetup.Resolve(parseResult, _data, _environment, _url, _tokenKey, out var error);
        if (target is null)
        {
            return await BadInputAsync(error!, cancellationToken).ConfigureAwait(false);
        }

        if (!openIfMissing && !File.Exists(target.TokenDatabase))
        {
            return await body(target, null).ConfigureAwait(false);
        }

        BakongSession session;
        try
        {
            session = await BakongSession.StartAsync(_context, target, renewalEmail, cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException e)
        {
            return await BadInputAsync(string.Join(" ", e.Failures), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StoreLockedException or StoreException)
        {
            // A running gateway (or another command) has the files, or one is damaged: the store's one line says which
            // file and why, exit 1.
            return await FailAsync(e.Message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return await FailAsync($"Cannot open the data in {target.DataDirectory} ({e.Message}).", cancellationToken).ConfigureAwait(false);
        }

        await using (session.ConfigureAwait(false))
        {
            return await body(target, session).ConfigureAwait(false);
        }
    }

    private async Task<int> ReportAsync(TokenCommandResult result, CancellationToken cancellationToken)
    {
        if (!result.Succeeded)
        {
            return await FailAsync(result.Message, cancellationToken).ConfigureAwait(false);
        }

        await WriteAsync(_context.Output, result.Message, cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private async Task<int> FailAsync(string message, CancellationToken cancellationToken)
    {
        await WriteAsync(_context.Error, OneLine(message), cancellationToken).ConfigureAwait(false);
        return BakongSetup.Refused;
    }

    private async Task<int> BadInputAsync(string message, CancellationToken cancellationToken)
    {
        await WriteAsync(_context.Error, OneLine(message), cancellationToken).ConfigureAwait(false);
        return ExitCodes.BadInput;
    }

    private static Task WriteAsync(TextWriter writer, string line, CancellationToken cancellationToken) =>
        writer.WriteLineAsync(line.AsMemory(), cancellationToken);

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static void CheckEmail(CommandResult result, Option email) => CheckEmail(result, result.GetResult(email), email.Name);

    private static void CheckEmail(CommandResult result, OptionResult? given, string name)
    {
        if (given is not { Tokens: [var token] })
        {
            return;
        }

        var value = token.Value.Trim();
        if (!TokenOnboarding.IsEmail(value))
        {
            result.AddError($"{name} must be an e-mail address of at most {TokenOnboarding.MaxEmailLength} characters (Bakong's limit), not '{value}'.");
        }
    }

    private static void CheckName(CommandResult result, Option<string> option)
    {
        if (result.GetResult(option) is { Tokens: [var token] } && token.Value.Trim().Length is 0 or > MaxNameLength)
        {
            result.AddError($"{option.Name} must be 1 to {MaxNameLength} characters.");
        }
    }

    private static IEnumerable<string> StatusLines(TokenStatus status)
    {
        yield return TokenOnboarding.Describe(status);
        yield return "environment: " + BakongSetup.Name(status.Environment);
        yield return "state:       " + StateName(status.State);
        if (status.State == TokenState.Missing)
        {
            yield break;
        }

        yield return "expires:     " + (status.ExpiresAt is { } expiresAt ? Format(expiresAt) : "unknown (not a JWT)");
        yield return "days left:   " + (status.DaysLeft is { } days ? days.ToString(CultureInfo.InvariantCulture) : "unknown");
        yield return "e-mail:      " + (status.Email ?? "none (renewal needs one: bakong token renew --email ...)");
        if (status.SetAt is { } setAt)
        {
            yield return "saved:       " + Format(setAt) + (status.Renewed ? " (renewed)" : string.Empty);
        }
    }

    private static JsonObject StatusJson(TokenStatus status) => new()
    {
        ["environment"] = BakongSetup.Name(status.Environment),
        ["state"] = StateName(status.State),
        ["expiresAt"] = status.ExpiresAt is { } expiresAt ? Iso(expiresAt) : null,
        ["daysLeft"] = status.DaysLeft,
        ["email"] = status.Email,
        ["setAt"] = status.SetAt is { } setAt ? Iso(setAt) : null,
        ["renewed"] = status.Renewed,
        ["message"] = TokenOnboarding.Describe(status),
    };

    private static string StateName(TokenState state) => JsonNamingPolicy.SnakeCaseLower.ConvertName(state.ToString());

    private static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Iso(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary><c>--server</c> and <c>--key</c> of a token command that goes through a running gateway.</summary>
internal sealed record GatewayOptions(Option<Uri> Server, Option<string?> Key)
{
    public static GatewayOptions AddTo(Command command)
    {
        var options = new GatewayOptions(GatewayClient.ServerOption(), GatewayClient.KeyOption());
        options.Server.Description = "The gateway's gRPC address: given, or when a gateway holds the data directory's files, the command goes through its admin API.";
        options.Key.Description = "An operator's API key, for a running gateway's admin API. Default: $" + GatewayClient.KeyVariable + ".";
        command.Options.Add(options.Server);
        command.Options.Add(options.Key);
        return options;
    }
}
