using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bakong.Cli.Payments;
using Bakong.Cli.Token;
using Bakong.OpenApi.Audit;

namespace Bakong.Cli.Audit;

/// <summary>
/// <c>bakong audit api [--client id] [--since 1h] [--limit 50] [--json]</c>: the gateway's creates, cancels and admin
/// actions, newest first: who, from where, what, and how it ended. Read from the audit database, like <c>audit list</c>.
/// </summary>
internal sealed class AuditApiCommand : Command
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly CliContext _context;

    private readonly Option<TimeSpan?> _since = new("--since")
    {
        Description = "How far back: a number and s, m, h or d, e.g. 30s, 15m, 1h, 2d (default 1h).",
        HelpName = "1h",
        CustomParser = AuditListCommand.ParseSince,
    };

    private readonly Option<string?> _client = new("--client")
    {
        Description = "Only this client's calls (its id, as 'bakong clients list' shows it; '-' for calls without a valid key).",
        HelpName = "client-id",
    };

    private readonly Option<int?> _limit = new("--limit")
    {
        Description = "At most this many calls, the newest (default 50).",
        HelpName = "n",
    };

    private readonly Option<bool> _jsonLines = new("--json")
    {
        Description = "One JSON object per call and line: time, client, peer, action, target, outcome.",
    };

    private readonly Option<string?> _data = BakongSetup.Data();
    private readonly Option<Uri> _server = GatewayClient.ServerOption();
    private readonly Option<string?> _key = GatewayClient.KeyOption();

    public AuditApiCommand(CliContext context)
        : base("api", "List recent creates, cancels and admin actions on the gateway, newest first: time (UTC), client, peer, action, payment or client, outcome.")
    {
        _context = context;
        Options.Add(_since);
        Options.Add(_client);
        Options.Add(_limit);
        Options.Add(_jsonLines);
        Options.Add(_data);
        _server.Description = "The gateway's gRPC address: given, or when a gateway holds the audit file, the audit is read through its admin API.";
        _key.Description = "An operator's API key, for a running gateway's admin API. Default: $" + GatewayClient.KeyVariable + ".";
        Options.Add(_server);
        Options.Add(_key);
        _limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 or > 100_000)
            {
                result.AddError("--limit must be 1 to 100000.");
            }
        });
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var directory = BakongSetup.ResolveData(parseResult, _data, out var error);
        if (directory is null)
        {
            await _context.Error.WriteLineAsync(error.AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        var since = AuditFile.Since(parseResult.GetValue(_since), _context.TimeProvider);
        var client = parseResult.GetValue(_client) is { } given && !string.IsNullOrWhiteSpace(given) ? given.Trim() : null;

        var limit = parseResult.GetValue(_limit) ?? AuditFile.DefaultLimit;
        var records = RunningGateway.Holds(parseResult, _server, AuditFile.PathIn(directory))
            ? await AuditGateway.ApiCallsAsync(_context, parseResult.GetValue(_server)!, GatewayClient.KeyOf(parseResult, _key), since, client, limit, cancellationToken).ConfigureAwait(false)
            : await AuditFile.ReadAsync(_context, directory, audit => audit.QueryApi(since, client, limit), cancellationToken).ConfigureAwait(false);
        if (records is null)
        {
            return BakongSetup.Refused;
        }

        if (parseResult.GetValue(_jsonLines))
        {
            foreach (var record in records)
            {
                await _context.Output.WriteLineAsync(JsonLine(record).AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }

        if (records.Count == 0)
        {
            var who = client is null ? "" : " by " + client;
            await _context.Output.WriteLineAsync($"No API calls{who} since {since.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)} UTC.".AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        foreach (var line in Table(records))
        {
            await _context.Output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static IEnumerable<string> Table(IReadOnlyList<ApiCallRecord> records)
    {
        string[] header = ["TIME (UTC)", "CLIENT", "AUTH", "PEER", "ACTION", "TARGET", "OUTCOME"];
        var rows = new List<string[]>(records.Count + 1) { header };
        rows.AddRange(records.Select(r => new[]
        {
            r.Time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture), r.ClientId, r.Auth, r.Peer, r.Action, r.Target ?? "-", r.Outcome,
        }));
        return TextTable.Lines(rows);
    }

    private static string JsonLine(ApiCallRecord record)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_json))
        {
            writer.WriteStartObject();
            writer.WriteString("time", record.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("client", record.ClientId);
            writer.WriteString("auth", record.Auth);
            writer.WriteString("peer", record.Peer);
            writer.WriteString("action", record.Action);
            if (record.Target is { } target)
            {
                writer.WriteString("target", target);
            }
            else
            {
                writer.WriteNull("target");
            }

            writer.WriteString("outcome", record.Outcome);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
