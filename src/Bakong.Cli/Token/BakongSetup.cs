using System.CommandLine;
using System.CommandLine.Parsing;
using Bakong.Cli.Sandbox;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Storage;

namespace Bakong.Cli.Token;

/// <summary>Where the gateway's data lives and which Bakong to talk to, as the token and audit commands resolve it.</summary>
/// <param name="DataDirectory">Holds <c>bakong-tokens.db</c> (+ <c>.key</c>) and <c>bakong-audit.db</c>.</param>
/// <param name="Environment">Which Bakong: each environment keeps its own token.</param>
/// <param name="BaseUrl">Where that Bakong is; null for SIT and production means their preset hosts.</param>
/// <param name="TokenKey">The token key file when not beside the database (<c>--token-key</c>, the gateway's <c>Bakong:Tokens:KeyPath</c>).</param>
internal sealed record BakongTarget(string DataDirectory, BakongEnvironment Environment, Uri? BaseUrl, string? TokenKey = null)
{
    public string TokenDatabase => Path.Combine(DataDirectory, BakongDataDirectory.TokensFileName);

    /// <summary>The key file the token store opens: <see cref="TokenKey"/>, else <c>&lt;data&gt;/bakong-tokens.db.key</c>.</summary>
    public string TokenKeyFile => Bakong.OpenApi.Tokens.BakongTokenOptions.KeyFor(TokenDatabase, TokenKey);

    public string AuditDatabase => Path.Combine(DataDirectory, BakongDataDirectory.AuditFileName);
}

/// <summary>
/// The <c>--data</c>, <c>--environment</c> and <c>--url</c> options, and their fallbacks: the gateway's own default
/// data directory (<see cref="BakongDataDirectory"/>: <c>BAKONG_DATA</c>, else the per-user one), the environment
/// variables <c>BAKONG_ENVIRONMENT</c> and <c>BAKONG_URL</c>, then sandbox and the gateway's in-process sandbox (SIT and
/// production: their preset hosts).
/// </summary>
internal static class BakongSetup
{
    public const string EnvironmentVariable = "BAKONG_ENVIRONMENT";
    public const string UrlVariable = "BAKONG_URL";

    // The gateway's own setting as an environment variable (Bakong:Tokens:KeyPath): one variable for both.
    public const string TokenKeyVariable = "Bakong__Tokens__KeyPath";

    /// <summary>Exit code when Bakong refuses or cannot be reached, or the token is not healthy.</summary>
    public const int Refused = 1;

    // No DefaultValueFactory on these: the environment variable fallback is applied (and checked) at run time, so that a
    // bad variable is a one-line error rather than help text, and help does not print the variable's current value.
    public static Option<string?> Data() => new("--data")
    {
        Description = "Directory of the gateway's data: the token database and key (" + BakongDataDirectory.TokensFileName + ", .key) and the call audit ("
            + BakongDataDirectory.AuditFileName + "). Default, the same as the gateway's: $" + BakongDataDirectory.Variable
            + ", else the per-user data directory (~/.local/share/bakong on Linux, %LOCALAPPDATA%\\Bakong on Windows).",
        HelpName = "dir",
    };

    public static Option<string?> TokenKey() => new("--token-key")
    {
        Description = "The token encryption key file, when it is not beside the token database (the gateway's Bakong:Tokens:KeyPath). Default: $"
            + TokenKeyVariable + ", else <data>/" + BakongDataDirectory.TokensFileName + ".key.",
        HelpName = "file",
    };

    public static Option<BakongEnvironment?> Environment() => new("--environment")
    {
        Description = "Which Bakong: sandbox, sit or production; each keeps its own token. Default: $" + EnvironmentVariable + ", else sandbox.",
        HelpName = "sandbox|sit|production",
        CustomParser = result => ParseEnvironment(result.Tokens[0].Value, out var environment)
            ? environment
            : Error<BakongEnvironment?>(result, $"--environment must be sandbox, sit or production, not '{result.Tokens[0].Value}'."),
    };

    public static Option<Uri?> Url() => new("--url")
    {
        Description = "Base URL of Bakong: required for the sandbox (default: $" + UrlVariable + ", else the gateway's " + SandboxCommand.DefaultUrl
            + "; a standalone one is http://127.0.0.1:PORT). SIT and production use their official hosts unless this is given.",
        HelpName = "url",
        CustomParser = result => ParseUrl(result.Tokens[0].Value) ?? Error<Uri>(result, $"--url must be an absolute http or https URL, not '{result.Tokens[0].Value}'."),
    };

    /// <summary>The data directory alone (the audit needs no Bakong); null with <paramref name="error"/> when unusable.</summary>
    public static string? ResolveData(ParseResult parseResult, Option<string?> data, out string? error)
    {
        error = null;
        var directory = parseResult.GetValue(data);
        if (string.IsNullOrWhiteSpace(directory))
        {
            directory = BakongDataDirectory.Default;
        }

        try
        {
            return Path.GetFullPath(directory);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            error = $"--data '{directory}' is not a usable path: {e.Message}";
            return null;
        }
    }

    /// <summary>Applies the fallbacks; null with <paramref name="error"/> when an environment variable is wrong.</summary>
    public static BakongTarget? Resolve(
        ParseResult parseResult, Option<string?> data, Option<BakongEnvironment?> environment, Option<Uri?> url, Option<string?> tokenKey, out string? error)
    {
        var directory = ResolveData(parseResult, data, out error);
        if (directory is null)
        {
            return null;
        }

        var chosen = parseResult.GetValue(environment);
        if (chosen is null && CliVariables.Get(EnvironmentVariable) is { Length: > 0 } variable)
        {
            if (!ParseEnvironment(variable, out var fromVariable))
            {
                error = $"{EnvironmentVariable} must be sandbox, sit or production, not '{variable}'.";
                return null;
            }

            chosen = fromVariable;
        }

        var baseUrl = parseResult.GetValue(url);
        if (baseUrl is null && CliVariables.Get(UrlVariable) is { Length: > 0 } urlVariable)
        {
            baseUrl = ParseUrl(urlVariable);
            if (baseUrl is null)
            {
                error = $"{UrlVariable} must be an absolute http or https URL, not '{urlVariable}'.";
                return null;
            }
        }

        var resolved = chosen ?? BakongEnvironment.Sandbox;
        if (baseUrl is null && resolved == BakongEnvironment.Sandbox)
        {
            baseUrl = new Uri(SandboxCommand.DefaultUrl);
        }

        var key = ResolveTokenKey(parseResult, tokenKey, out error);
        if (error is not null)
        {
            return null;
        }

        return new BakongTarget(directory, resolved, baseUrl, key);
    }

    /// <summary>
    /// The token key file (<c>--token-key</c>, else <c>$Bakong__Tokens__KeyPath</c>) as a full path; null when neither
    /// is given (the key beside the store), or with <paramref name="error"/> when the path is unusable.
    /// </summary>
    public static string? ResolveTokenKey(ParseResult parseResult, Option<string?> tokenKey, out string? error)
    {
        error = null;
        var key = parseResult.GetValue(tokenKey);
        if (string.IsNullOrWhiteSpace(key))
        {
            key = CliVariables.Get(TokenKeyVariable);
        }

        if (string.IsNullOrWhiteSpace(key))
        {
            return null;
        }

        try
        {
            return Path.GetFullPath(key);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            error = $"--token-key '{key}' is not a usable path: {e.Message}";
            return null;
        }
    }

    public static string Name(BakongEnvironment environment) => environment switch
    {
        BakongEnvironment.Sit => "sit",
        BakongEnvironment.Production => "production",
        _ => "sandbox",
    };

    private static bool ParseEnvironment(string text, out BakongEnvironment environment)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "SANDBOX":
                environment = BakongEnvironment.Sandbox;
                return true;
            case "SIT":
                environment = BakongEnvironment.Sit;
                return true;
            case "PRODUCTION":
                environment = BakongEnvironment.Production;
                return true;
            default:
                environment = default;
                return false;
        }
    }

    private static Uri? ParseUrl(string text) =>
        Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri : null;

    private static T? Error<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
    }
}
