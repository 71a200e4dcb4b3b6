using System.CommandLine;
using Bakong.Khqr;
using Bakong.Khqr.Batch;

namespace Bakong.Cli.Khqr;

/// <summary><c>bakong khqr verify</c>: the official SDK's verdict on a KHQR string, and why.</summary>
internal sealed class VerifyCommand : Command
{
    private readonly CliContext _context;

    private readonly Argument<string> _qr = new("qr")
    {
        Description = "The KHQR payload (quote it: it may contain spaces).",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<bool> _strict = new("--strict")
    {
        Description = "Also require the tags in the order the SDK writes them (KHQR error 36 otherwise).",
    };

    private readonly Option<DateTimeOffset?> _now = SharedOptions.Now();
    private readonly Option<bool> _jsonl = SharedOptions.Jsonl("{\"qr\": \"...\"}");

    public VerifyCommand(CliContext context)
        : base("verify", "Check a KHQR with the SDK's rules (CRC, fields, expiry): prints valid, or invalid and why; exit code 0 valid, 1 invalid.")
    {
        _context = context;
        Arguments.Add(_qr);
        Options.Add(_strict);
        Options.Add(_now);
        Options.Add(_jsonl);
        Validators.Add(result => SharedOptions.ValidateMode(result, _jsonl, [_qr, _strict], [_qr]));
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var clock = SharedOptions.Clock(_context, parseResult.GetValue(_now));
        if (parseResult.GetValue(_jsonl))
        {
            return await SharedOptions.RunBatchAsync(_context, KhqrOperation.Verify, clock, cancellationToken).ConfigureAwait(false);
        }

        var verdict = new KhqrVerifier(clock).Verify(parseResult.GetValue(_qr), parseResult.GetValue(_strict));
        var line = verdict.IsValid ? "valid" : "invalid: " + verdict.Error;
        await _context.Output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        return verdict.IsValid ? ExitCodes.Success : ExitCodes.Invalid;
    }
}
