using System.CommandLine;
using System.Globalization;
using Bakong.Khqr;

namespace Bakong.Cli.Khqr;

/// <summary>
/// <c>bakong khqr bench</c>: single-thread throughput of generate, decode and verify, on the same input as the
/// official SDK's bench script (<c>tests/Bakong.Khqr.Tests/Vectors/generator/bench-sdk.cjs</c>) so the numbers compare.
/// </summary>
internal sealed class BenchCommand : Command
{
    private static readonly TimeSpan s_warmUp = TimeSpan.FromSeconds(0.5);

    // Written once per run so the JIT cannot treat the measured calls' results as dead.
    private static long s_sink;

    private readonly CliContext _context;

    private readonly Option<double> _seconds = new("--seconds")
    {
        Description = "How long to measure each operation, after a warm-up of up to 0.5 s (fractions allowed).",
        HelpName = "N",
        DefaultValueFactory = _ => 3,
        CustomParser = InputParsers.ParseSeconds,
    };

    public BenchCommand(CliContext context)
        : base("bench", "Measure single-thread generate, decode and verify throughput on a merchant USD dynamic QR; prints one JSON line.")
    {
        _context = context;
        Options.Add(_seconds);
        SetAction(RunAsync);
    }

    /// <summary>
    /// The bench input (docs/khqr.md, 'bakong khqr bench'), the same as the SDK's bench script's and the
    /// BenchmarkDotNet project's: a merchant USD dynamic QR with bill number, store label and terminal label, expiring
    /// 5 minutes after now.
    /// </summary>
    internal static KhqrRequest Input(DateTimeOffset now) => new()
    {
        Type = KhqrMerchantType.Merchant,
        BakongAccountId = "kiosk_shop@aclb",
        MerchantName = "Sokha Coffee",
        MerchantCity = "Phnom Penh",
        MerchantId = "1234567890",
        AcquiringBank = "ACLEDA Bank",
        Currency = KhqrCurrency.Usd,
        Amount = 12.5m,
        BillNumber = "INV-2026-000123",
        StoreLabel = "Riverside",
        TerminalLabel = "POS-01",
        ExpirationTimestamp = (now + TimeSpan.FromMinutes(5)).ToUnixTimeMilliseconds(),
    };

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var budget = TimeSpan.FromSeconds(parseResult.GetValue(_seconds));
        var clock = _context.TimeProvider;
        var request = Input(clock.GetUtcNow());
        var generator = new KhqrGenerator(clock);
        var verifier = new KhqrVerifier(clock);

        // Measure only calls that succeed, as the SDK script checks before it starts.
        var first = generator.Generate(request);
        if (!first.IsSuccess || !verifier.Verify(first.Value.Qr).IsValid || KhqrDecoder.Decode(first.Value.Qr).TransactionAmount != "12.50")
        {
            await _context.Error.WriteLineAsync("bench: the benchmark QR did not round-trip; the codec is broken".AsMemory(), cancellationToken)
                .ConfigureAwait(false);
            return ExitCodes.Invalid;
        }

        var qr = first.Value.Qr;
        var sink = 0L;
        var generatePerSecond = Measure(() => generator.Generate(request).Value!.Qr.Length, budget, ref sink, cancellationToken);
        var decodePerSecond = Measure(() => KhqrDecoder.Decode(qr).Crc!.Length, budget, ref sink, cancellationToken);
        var verifyPerSecond = Measure(() => verifier.Verify(qr).IsValid ? 1 : 0, budget, ref sink, cancellationToken);
        Volatile.Write(ref s_sink, sink);

        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{{\"generate_per_s\": {generatePerSecond}, \"decode_per_s\": {decodePerSecond}, \"verify_per_s\": {verifyPerSecond}}}");
        await _context.Output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>Warms up, then calls <paramref name="operation"/> for <paramref name="budget"/>; returns calls per second.</summary>
    private static long Measure(Func<int> operation, TimeSpan budget, ref long sink, CancellationToken cancellationToken)
    {
        RunFor(operation, budget < s_warmUp ? budget : s_warmUp, ref sink, cancellationToken);
        var (calls, elapsed) = RunFor(operation, budget, ref sink, cancellationToken);
        return (long)Math.Round(calls / elapsed.TotalSeconds);
    }

    private static (long Calls, TimeSpan Elapsed) RunFor(Func<int> operation, TimeSpan budget, ref long sink, CancellationToken cancellationToken)
    {
        // Read the clock every 64 calls, as the SDK script does, so timing costs next to nothing.
        const int Batch = 64;
        var start = TimeProvider.System.GetTimestamp();
        var calls = 0L;
        TimeSpan elapsed;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var i = 0; i < Batch; i++)
            {
                sink += operation();
            }

            calls += Batch;
            elapsed = TimeProvider.System.GetElapsedTime(start);
        }
        while (elapsed < budget);

        return (calls, elapsed);
    }
}
