using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;

namespace Bakong.Cli.Payments;

/// <summary>
/// <c>bakong payments load</c>: CreatePayment latency and throughput against a running gateway, as a POS fleet would
/// load it. Every call is a new sale (its own request id), so each one generates a KHQR and makes a durable write; the
/// payments are cancelled afterwards (not measured) so the gateway is not left polling them. Prints progress on stderr
/// and one JSON line of results on stdout (docs/benchmarks.md).
/// </summary>
internal static class LoadCommand
{
    public static Command Create(CliContext context)
    {
        var count = new Option<int>("--count") { Description = "Payments to create (after the warm-up).", DefaultValueFactory = _ => 1000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Calls in flight at once (POS terminals creating at the same moment).", DefaultValueFactory = _ => 8 };
        var warmUp = new Option<int>("--warm-up") { Description = "Payments created first and not measured (JIT, connections, caches).", DefaultValueFactory = _ => 50 };
        var terminal = new Option<string>("--terminal") { Description = "Terminal id of the load's payments, to tell them apart in 'payments list'.", DefaultValueFactory = _ => "LOAD" };
        var keep = new Option<bool>("--keep") { Description = "Leave the payments pending instead of cancelling them at the end." };
        var server = GatewayClient.ServerOption();
        var command = new Command("load", "Measure CreatePayment latency (p50/p90/p99/max) and throughput against a running gateway; prints one JSON line.")
        {
            count, concurrency, warmUp, terminal, keep, server,
        };
        AtLeast(count, 1);
        AtLeast(concurrency, 1);
        AtLeast(warmUp, 0);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var uri = parseResult.GetValue(server)!;
            using var channel = GatewayClient.Open(uri);
            var load = new Load(
                context,
                new PaymentService.PaymentServiceClient(channel),
                parseResult.GetValue(terminal)!,
                "load-" + Guid.NewGuid().ToString("N")[..8] + "-");
            try
            {
                await load.RunAsync(parseResult.GetValue(warmUp), parseResult.GetValue(concurrency), report: false, cancellationToken).ConfigureAwait(false);
                var measured = await load.RunAsync(parseResult.GetValue(count), parseResult.GetValue(concurrency), report: true, cancellationToken).ConfigureAwait(false);
                if (!parseResult.GetValue(keep))
                {
                    await load.CancelAllAsync(parseResult.GetValue(concurrency), cancellationToken).ConfigureAwait(false);
                }

                await context.Output.WriteLineAsync(measured.ToJson().ToJsonString().AsMemory(), cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                return GatewayClient.ReportError(context, json: false, uri, e);
            }
        });
        return command;
    }

    private static void AtLeast(Option<int> option, int minimum) => option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<int>() < minimum)
        {
            result.AddError($"{option.Name}: must be at least {minimum}.");
        }
    });

    private sealed class Load(CliContext context, PaymentService.PaymentServiceClient client, string terminal, string prefix)
    {
        private readonly List<string> _created = [];
        private int _next;

        /// <summary>Creates <paramref name="count"/> payments (none for a warm-up of 0), <paramref name="concurrency"/> at a time.</summary>
        public async Task<Run> RunAsync(int count, int concurrency, bool report, CancellationToken cancellationToken)
        {
            var clock = context.TimeProvider;
            var latencies = new double[count];
            var done = 0;
            var claimed = -1;
            var start = clock.GetTimestamp();
            var lastReport = start;
            var workers = Enumerable.Range(0, Math.Min(concurrency, count)).Select(_ => Task.Run(
                async () =>
                {
                    int index;
                    while ((index = Interlocked.Increment(ref claimed)) < count)
                    {
                        var request = new CreatePaymentRequest
                        {
                            RequestId = prefix + Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture),
                            TerminalId = terminal,
                            Amount = new Money { CurrencyCode = "KHR", Units = 1000 + (index % 100 * 100) },
                        };
                        var begin = clock.GetTimestamp();
                        var payment = (await client.CreatePaymentAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false)).Payment;
                        latencies[index] = clock.GetElapsedTime(begin).TotalMilliseconds;
                        lock (_created)
                        {
                            _created.Add(payment.PaymentId);
                        }

                        var finished = Interlocked.Increment(ref done);
                        if (report && clock.GetElapsedTime(Volatile.Read(ref lastReport)) >= TimeSpan.FromSeconds(1))
                        {
                            Volatile.Write(ref lastReport, clock.GetTimestamp());
                            context.Error.WriteLine($"{finished}/{count} created");
                        }
                    }
                },
                cancellationToken)).ToArray();
            await Task.WhenAll(workers).ConfigureAwait(false);
            var seconds = clock.GetElapsedTime(start).TotalSeconds;

            Array.Sort(latencies);
            return new Run(latencies, concurrency, seconds);
        }

        public async Task CancelAllAsync(int concurrency, CancellationToken cancellationToken)
        {
            context.Error.WriteLine($"cancelling the {_created.Count} payments");
            await Parallel.ForEachAsync(
                _created,
                new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
                async (id, ct) => await client.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = id }, cancellationToken: ct).ConfigureAwait(false))
                .ConfigureAwait(false);
        }
    }

    /// <summary>One batch of creations: each call's latency in ms, sorted, and the batch's wall time.</summary>
    private sealed record Run(IReadOnlyList<double> SortedLatencies, int Concurrency, double Seconds)
    {
        /// <summary>The result line; only for the measured batch, which has at least one call (<c>--count</c> ≥ 1).</summary>
        public JsonObject ToJson() => new()
        {
            ["count"] = SortedLatencies.Count,
            ["concurrency"] = Concurrency,
            ["seconds"] = Math.Round(Seconds, 3),
            ["per_s"] = Seconds > 0 ? Math.Round(SortedLatencies.Count / Seconds, 1) : null,
            ["p50_ms"] = Percentile(0.50),
            ["p90_ms"] = Percentile(0.90),
            ["p99_ms"] = Percentile(0.99),
            ["max_ms"] = Math.Round(SortedLatencies[SortedLatencies.Count - 1], 2),
        };

        /// <summary>The nearest-rank percentile, in ms to 0.01.</summary>
        private double Percentile(double p) =>
            Math.Round(SortedLatencies[Math.Clamp((int)Math.Ceiling(p * SortedLatencies.Count) - 1, 0, SortedLatencies.Count - 1)], 2);
    }
}
