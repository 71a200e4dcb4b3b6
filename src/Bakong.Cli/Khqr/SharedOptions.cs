using System.CommandLine;
using System.CommandLine.Parsing;
using Bakong.Khqr.Batch;

namespace Bakong.Cli.Khqr;

/// <summary>The options every <c>khqr</c> codec command has, and the batch mode they share.</summary>
internal static class SharedOptions
{
    public static Option<bool> Jsonl(string input) => new("--jsonl")
    {
        // No "--jsonl false": the validators decide the mode by the flag's presence alone.
        Arity = ArgumentArity.Zero,
        Description = "Batch mode: read one JSON object per line from stdin (" + input + ") and write one JSON line per input " +
            "to stdout, in order; keys it does not use, such as \"id\", are echoed back; a malformed line gets an error line.",
    };

    public static Option<DateTimeOffset?> Now() => new("--now")
    {
        Description = "Fix the clock at this Unix time in milliseconds, for reproducible output (default: the system clock).",
        HelpName = "unix-ms",
        CustomParser = InputParsers.ParseUnixMilliseconds,
    };

    public static TimeProvider Clock(CliContext context, DateTimeOffset? now) =>
        now is { } instant ? new FixedTimeProvider(instant) : context.TimeProvider;

    /// <summary>True when the user wrote the option, as opposed to it taking its default.</summary>
    public static bool IsGiven(CommandResult result, Option option) => result.GetResult(option) is { Implicit: false };

    public static bool IsGiven(CommandResult result, Argument argument) => result.GetResult(argument) is { Tokens.Count: > 0 };

    /// <summary>
    /// In batch mode the input comes from stdin, so a human-mode flag is a mistake (it would be silently ignored);
    /// otherwise the human-mode required options must be there.
    /// </summary>
    public static void ValidateMode(CommandResult result, Option<bool> jsonl, IEnumerable<Symbol> humanMode, IEnumerable<Symbol> required)
    {
        // Presence, not GetValue: validators run even when some value failed to parse, and GetValue would throw.
        if (IsGiven(result, jsonl))
        {
            foreach (var symbol in humanMode)
            {
                if (IsGiven(result, symbol))
                {
                    result.AddError($"{Describe(symbol)} cannot be combined with --jsonl: batch input comes from stdin.");
                }
            }

            return;
        }

        foreach (var symbol in required)
        {
            if (!IsGiven(result, symbol))
            {
                result.AddError($"{Describe(symbol)} is required (or use --jsonl).");
            }
        }
    }

    public static async Task<int> RunBatchAsync(CliContext context, KhqrOperation operation, TimeProvider clock, CancellationToken cancellationToken)
    {
        await new KhqrBatch(clock).RunAsync(operation, context.Input, context.Output, cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static bool IsGiven(CommandResult result, Symbol symbol) => symbol switch
    {
        Option option => IsGiven(result, option),
        Argument argument => IsGiven(result, argument),
        _ => false,
    };

    private static string Describe(Symbol symbol) => symbol is Argument ? $"The <{symbol.Name}> argument" : $"Option '{symbol.Name}'";
}
