using System.CommandLine;
using System.Text;
using System.Text.Json;
using Bakong.Khqr;
using Bakong.Khqr.Batch;

namespace Bakong.Cli.Khqr;

/// <summary><c>bakong khqr decode</c>: every field of a KHQR string, by the SDK's names. Decoding does not validate.</summary>
internal sealed class DecodeCommand : Command
{
    private readonly CliContext _context;

    private readonly Argument<string> _qr = new("qr")
    {
        Description = "The KHQR payload (quote it: it may contain spaces).",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<bool> _json = new("--json") { Description = "Print the SDK's decode object as one JSON line (absent fields are null)." };
    private readonly Option<DateTimeOffset?> _now = SharedOptions.Now();
    private readonly Option<bool> _jsonl = SharedOptions.Jsonl("{\"qr\": \"...\"}");

    public DecodeCommand(CliContext context)
        : base("decode", "Print the fields of a KHQR by the SDK's names, one 'name: value' per line; decoding does not validate (use verify).")
    {
        _context = context;
        Arguments.Add(_qr);
        Options.Add(_json);
        Options.Add(_now);
        Options.Add(_jsonl);
        Validators.Add(result => SharedOptions.ValidateMode(result, _jsonl, [_qr, _json], [_qr]));
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var clock = SharedOptions.Clock(_context, parseResult.GetValue(_now));
        if (parseResult.GetValue(_jsonl))
        {
            return await SharedOptions.RunBatchAsync(_context, KhqrOperation.Decode, clock, cancellationToken).ConfigureAwait(false);
        }

        var qr = parseResult.GetValue(_qr)!;

        // The batch protocol's decode line is the SDK's object, keys in the SDK's order: one source for both forms.
        var json = new KhqrBatch(clock).ProcessLine(KhqrOperation.Decode, "{\"qr\":" + JsonSerializer.Serialize(qr) + "}");
        var output = parseResult.GetValue(_json) ? json + "\n" : AsLines(json);
        await _context.Output.WriteAsync(output.AsMemory(), cancellationToken).ConfigureAwait(false);
        if (KhqrDecoder.Decode(qr).IsMalformed)
        {
            await _context.Error.WriteLineAsync(
                "warning: a template has a sub-field length the SDK cannot read past; the fields after it are missing.".AsMemory(),
                cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static string AsLines(string json)
    {
        using var document = JsonDocument.Parse(json);
        var width = 0;
        foreach (var field in document.RootElement.EnumerateObject())
        {
            if (field.Value.ValueKind == JsonValueKind.String)
            {
                width = Math.Max(width, field.Name.Length);
            }
        }

        var text = new StringBuilder();
        foreach (var field in document.RootElement.EnumerateObject())
        {
            if (field.Value.ValueKind == JsonValueKind.String)
            {
                text.Append((field.Name + ":").PadRight(width + 2)).Append(field.Value.GetString()).Append('\n');
            }
        }

        return text.ToString();
    }
}
