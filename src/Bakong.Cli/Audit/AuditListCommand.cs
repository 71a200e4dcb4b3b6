using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bakong.Cli.Payments;
using Bakong.Cli.Token;
using Bakong.OpenApi.Audit;

namespace Bakong.Cli.Audit;

/// <summary>
/// <c>bakong audit list [--since 1h] [--endpoint /v1/...] [--limit 50] [--json]</c>: newest first, one aligned line per
/// attempt, or one JSON object per line.
/// </summary>
internal sealed class AuditListCommand : Command
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly CliContext _context;

    // No DefaultValueFactory: help would print 01:00:00; the defaults are in the descriptions.
    private readonly Option<TimeSpan?> _since = new("--since")
    {
        Description = "How far back: a number and s, m, h or d, e.g. 30s, 15m, 1h, 2d (default 1h).",
        HelpName = "1h",
        CustomParser = ParseSince,
    };

    private readonly Option<string?> _endpoint = new("--endpoint")
    {
        Description = "Only calls to this endpoint, e.g. /v1/check_transaction_by_md5 (the /v1/ may be left out).",
        HelpName = "path",
    };

    private readonly Option<int?> _limit = new("--limit")
    {
        Description = "At most this many calls, the newest (default 50).",
        HelpName = "n",
    };

    private readonly Option<bool> _jsonLines = new("--json")
    {
        Description = "One JSON object per call and line: time, endpoint, subject, httpStatus, responseCode, errorCode, responseMessage, latencyMs, attempt, outcome.",
    };

    private readonly Option<string?> _data = BakongSetup.Data();
    private readonly Option<Uri> _server = GatewayClient.ServerOption();
    private readonly Option<string?> _key = GatewayClient.KeyOption();

    public AuditListCommand(CliContext context)
        : base("list", "List recent calls to Bakong, newest first: time (UTC), endpoint, subject, HTTP status, responseCode/errorCode, latency, attempt, outcome, message.")
    {
        _context = context;
        Options.Add(_since);
        Options.Add(_endpoint);
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

    /// <summary><c>/v1/x</c> as the audit stores it, from <c>/v1/x</c>, <c>v1/x</c> or <c>x</c>.</summary>
    internal static string NormalizeEndpoint(string endpoint)
    {
        var path = endpoint.Trim().TrimStart('/');
        return path.StartsWith("v1/", StringComparison.OrdinalIgnoreCase) ? "/" + path : "/v1/" + path;
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
        var endpoint = parseResult.GetValue(_endpoint) is { } given && !string.IsNullOrWhiteSpace(given) ? NormalizeEndpoint(given) : null;
        var json = parseResult.GetValue(_jsonLines);

        var limit = parseResult.GetValue(_limit) ?? AuditFile.DefaultLimit;
        var records = RunningGateway.Holds(parseResult, _server, AuditFile.PathIn(directory))
            ? await AuditGateway.BakongCallsAsync(_context, parseResult.GetValue(_server)!, GatewayClient.KeyOf(parseResult, _key), since, endpoint, limit, cancellationToken).ConfigureAwait(false)
            : await AuditFile.ReadAsync(_context, directory, audit => audit.Query(since, endpoint, limit), cancellationToken).ConfigureAwait(false);
        if (records is null)
        {
            return BakongSetup.Refused;
        }

        if (json)
        {
            foreach (var record in records)
            {
                await _context.Output.WriteLineAsync(JsonLine(record).AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }

        if (records.Count == 0)
        {
            var what = endpoint is null ? "Bakong" : endpoint;
            await _context.Output.WriteLineAsync($"No calls to {what} since {since.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)} UTC.".AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        foreach (var line in Table(records))
        {
            await _context.Output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static IEnumerable<string> Table(IReadOnlyList<BakongCallRecord> records)
    {
        string[] header = ["TIME (UTC)", "ENDPOINT", "SUBJECT", "HTTP", "RC/ERR", "LATENCY", "TRY", "OUTCOME", "MESSAGE"];
        var rows = new List<string[]>(records.Count + 1) { header };
        rows.AddRange(records.Select(Cells));

        // Numbers right-aligned: HTTP, LATENCY, TRY.
        return TextTable.Lines(rows, 3, 5, 6);
    }

    private static string[] Cells(BakongCallRecord record) =>
    [
        record.Time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture),
        record.Endpoint,
        Clean(record.Subject) ?? "-",
        record.HttpStatus?.ToString(CultureInfo.InvariantCulture) ?? "-",
        Codes(record),
        string.Create(CultureInfo.InvariantCulture, $"{record.Latency.TotalMilliseconds:0} ms"),
        record.Attempt.ToString(CultureInfo.InvariantCulture),
        Clean(record.Outcome) ?? "-",
        Clean(record.ResponseMessage) ?? string.Empty,
    ];

    private static string Codes(BakongCallRecord record) => (record.ResponseCode, record.ErrorCode) switch
    {
        (null, null) => "-",
        ({ } rc, null) => rc.ToString(CultureInfo.InvariantCulture),
        (var rc, { } ec) => string.Create(CultureInfo.InvariantCulture, $"{(rc is { } r ? r.ToString(CultureInfo.InvariantCulture) : "-")}/{ec}"),
    };

    // One line per call, whatever Bakong put in a message.
    private static string? Clean(string? text) => text?.ReplaceLineEndings(" ").Replace('\t', ' ').Trim();

    private static string JsonLine(BakongCallRecord record)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_json))
        {
            writer.WriteStartObject();
            writer.WriteString("time", record.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("endpoint", record.Endpoint);
            WriteNullable(writer, "subject", record.Subject);
            WriteNullable(writer, "httpStatus", record.HttpStatus);
            WriteNullable(writer, "responseCode", record.ResponseCode);
            WriteNullable(writer, "errorCode", record.ErrorCode);
            WriteNullable(writer, "responseMessage", record.ResponseMessage);
            writer.WriteNumber("latencyMs", Math.Round(record.Latency.TotalMilliseconds, 3));
            writer.WriteNumber("attempt", record.Attempt);
            writer.WriteString("outcome", record.Outcome);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    internal static TimeSpan? ParseSince(ArgumentResult result)
    {
        var text = result.Tokens[0].Value.Trim();
        if (text.Length >= 2
            && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
            && amount > 0)
        {
            try
            {
                switch (char.ToLowerInvariant(text[^1]))
                {
                    case 's':
                        return TimeSpan.FromSeconds(amount);
                    case 'm':
                        return TimeSpan.FromMinutes(amount);
                    case 'h':
                        return TimeSpan.FromHours(amount);
                    case 'd':
                        return TimeSpan.FromDays(amount);
                }
            }
            catch (OverflowException)
            {
                // Falls through to the error below.
            }
        }

        result.AddError($"--since takes a number and s, m, h or d, e.g. 30s, 15m, 1h or 2d, not '{text}'.");
        return default;
    }
}
