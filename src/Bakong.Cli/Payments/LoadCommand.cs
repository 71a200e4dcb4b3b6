using System.CommandLine;
using System.Globalization;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Bakong.Cli.Payments;

/// <summary>
/// <c>bakong payments load</c>: CreatePayment latency and throughput against a running gateway, as a POS fleet would
/// load it, beside a baseline in the same run: grpc.health.v1 <c>Health/Check</c> over the same channel (see
/// <see cref="LoadRunner"/>). Every create is a new sale (its own request id), so each one generates a KHQR and makes a
/// durable write; the payments are cancelled afterwards (not measured) so the gateway is not left polling them.
/// Closed loop by default (<c>--concurrency</c> calls in flight); open loop with <c>--rate</c> (calls started by the
/// clock). Prints a table, or one JSON line with <c>--json</c> (docs/benchmarks.md). With <c>--watchers</c> it
/// measures WatchPayment's fan-out instead (<see cref="WatchLoad"/>).
/// </summary>
internal static class LoadCommand
{
    /// <summary>Closed loop: calls in flight when <c>--concurrency</c> is not given.</summary>
    private const int ClosedLoopConcurrency = 8;

    /// <summary>
    /// Open loop: the most calls in flight when <c>--concurrency</c> is not given. High enough that only an overloaded
    /// gateway meets it (256 calls outstanding at 1,000/s is a quarter of a second of backlog), low enough that an
    /// overloaded one is shown as calls that could not start rather than as an unbounded queue.
    /// </summary>
    private const int OpenLoopConcurrency = 256;

    /// <summary>A block shorter than this many calls per worker spends much of its time starting and draining.</summary>
    private const int CallsPerWorkerPerBlock = 4;

    public static Command Create(CliContext context)
    {
        var count = WholeNumber("--count", 1, "Calls of each kind (creates, and health checks as the baseline) after the warm-up.", 1000);
        var concurrency = WholeNumber(
            "--concurrency",
            1,
            $"Closed loop: calls in flight at once (POS terminals creating at the same moment; default {ClosedLoopConcurrency}). "
                + $"With --rate: the most in flight at once; a call due beyond it could not start (default {OpenLoopConcurrency}).");
        var rate = WholeNumber("--rate", 1, "Open loop: start this many calls per second by the clock, however long the earlier ones take.");
        var rounds = WholeNumber("--rounds", 1, "Blocks of creates, each followed by a block of health checks (fewer when --count is smaller).", 5);
        // A fresh gateway's JIT is still recompiling its hot methods (tier 1) for the first thousand or so calls: 50 measured
        // that instead of the gateway (docs/benchmarks.md, "Warm-up").
        var warmUp = WholeNumber("--warm-up", 0, "Calls of each kind made first and not measured (the JIT's tier-1 recompilation, connections, caches).", 2000);
        var callTimeout = WholeNumber(
            "--call-timeout",
            1,
            "Seconds a call may take before it counts as failed (DEADLINE_EXCEEDED), so a gateway that stops answering ends the run.",
            30);
        var terminal = new Option<string>("--terminal") { Description = "Terminal id of the load's payments, to tell them apart in 'payments list'.", DefaultValueFactory = _ => "LOAD" };
        var keep = new Option<bool>("--keep") { Description = "Leave the payments pending instead of cancelling them at the end." };
        var watchers = WholeNumber(
            "--watchers",
            1,
            "Watch load instead: open this many WatchPayment streams on the payments, pay them all through the sandbox and time PAID reaching every stream.");
        var payments = WholeNumber("--payments", 1, $"Watch load: payments created, watched and paid (default {DefaultWatchedPayments}, at most --watchers).");
        var channels = WholeNumber(
            "--channels",
            1,
            "Watch load: gRPC channels the streams are spread over; each opens another HTTP/2 connection whenever its connections carry as many streams as the gateway allows.",
            1);
        var paced = new Option<bool>("--paced")
        {
            Description = "Watch load: pay the payments one at a time, each once every watcher of the one before saw PAID, to time one change "
                + "reaching its watchers (default: all at once, a burst of changes).",
        };
        var timeout = WholeNumber(
            "--timeout",
            1,
            "Watch load: seconds to wait for every stream's first message, and again for every PAID after the last pay (with --paced, also for each payment's watchers).",
            120);
        var gatewayPid = WholeNumber("--gateway-pid", 1, "Watch load: the gateway's process id, to report its resident memory (VmRSS from /proc/<pid>/status: Linux only) before and at the peak.");
        var sandboxUrl = SandboxUrlOption();
        var server = GatewayClient.ServerOption();
        var replicas = new Option<Uri[]>("--replica")
        {
            Description = "Another gateway on the same database (a replica's gRPC address; repeat for more): creates and health checks go round robin over --server and these.",
            AllowMultipleArgumentsPerToken = false,
            Arity = ArgumentArity.ZeroOrMore,
            CustomParser = result => [.. result.Tokens.Select(t => GatewayClient.ParseServer(t.Value, result)).OfType<Uri>()],
        };
        var key = GatewayClient.KeyOption();
        var json = GatewayClient.JsonOption("Write the result as one JSON object instead of the table, for scripts.");
        var command = new Command(
            "load",
            "Measure CreatePayment throughput and latency (p50/p90/p99/max) against a running gateway, with Health/Check as the baseline in the same run; "
                + "or, with --watchers, how fast PAID reaches thousands of WatchPayment streams.")
        {
            count, concurrency, rate, rounds, warmUp, callTimeout, terminal, keep, watchers, payments, channels, paced, timeout, gatewayPid, sandboxUrl, server,
            replicas, key, json,
        };
        Option[] createOnly = [count, concurrency, rate, rounds, warmUp, callTimeout, keep, replicas];
        Option[] watchOnly = [payments, channels, paced, timeout, gatewayPid, sandboxUrl];
        command.Validators.Add(result =>
        {
            var watch = result.GetResult(watchers) is { Implicit: false };
            foreach (var option in watch ? createOnly : watchOnly)
            {
                if (result.GetResult(option) is { Implicit: false })
                {
                    result.AddError(option.Name + (watch ? ": not with --watchers (a watch load creates no load of its own)." : ": only with --watchers."));
                }
            }

            if (watch && result.GetValue(payments) is { } p && result.GetValue(watchers) is { } w && p > w)
            {
                result.AddError($"--payments: at most --watchers ({w}): a payment nobody watches measures nothing.");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(watchers) is { } watcherCount)
            {
                var pid = parseResult.GetValue(gatewayPid);
                if (pid is { } p && !File.Exists(MemorySampler.StatusPath(p)))
                {
                    context.Error.WriteLine($"--gateway-pid: there is no {MemorySampler.StatusPath(p)} (no such process, or not Linux).");
                    return ExitCodes.BadInput;
                }

                var watchPlan = new WatchPlan(
                    watcherCount,
                    parseResult.GetValue(payments) ?? Math.Min(DefaultWatchedPayments, watcherCount),
                    parseResult.GetValue(channels)!.Value,
                    TimeSpan.FromSeconds(parseResult.GetValue(timeout)!.Value),
                    pid,
                    parseResult.GetValue(paced));
                var grpc = parseResult.GetValue(server)!;
                var sandbox = parseResult.GetValue(sandboxUrl) ?? DerivedSandboxUrl(grpc);
                var watchLoad = new WatchLoad(
                    context, grpc, GatewayClient.KeyOf(parseResult, key), sandbox, parseResult.GetValue(terminal)!, "watch-" + Guid.NewGuid().ToString("N")[..8] + "-");
                try
                {
                    using (var probe = GatewayClient.Open(grpc, GatewayClient.KeyOf(parseResult, key)))
                    {
                        var health = new Health.HealthClient(probe);
                        if (await FirstCallFailsAsync(ct => CheckHealthAsync(health, ct), cancellationToken)
                            .ConfigureAwait(false) is { } unanswered)
                        {
                            return GatewayClient.ReportError(context, json: false, grpc, unanswered);
                        }
                    }

                    return await watchLoad.RunAsync(watchPlan, parseResult.GetValue(json), cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
                {
                    return GatewayClient.ReportError(context, json: false, grpc, e);
                }
            }

            var offered = parseResult.GetValue(rate);
            var calls = parseResult.GetValue(count)!.Value;
            var plan = new LoadPlan(
                calls,
                Math.Min(parseResult.GetValue(rounds)!.Value, calls),
                parseResult.GetValue(concurrency) ?? (offered is null ? ClosedLoopConcurrency : OpenLoopConcurrency),
                offered);
            var uri = parseResult.GetValue(server)!;
            var apiKey = GatewayClient.KeyOf(parseResult, key);
            var gateways = (parseResult.GetValue(replicas) ?? []).Prepend(uri).ToList();
            var channelList = gateways.Select(g => GatewayClient.Open(g, apiKey)).ToList();
            var load = new Load(
                context, channelList, parseResult.GetValue(terminal)!, "load-" + Guid.NewGuid().ToString("N")[..8] + "-", TimeSpan.FromSeconds(parseResult.GetValue(callTimeout)!.Value));
            try
            {
                for (var i = 0; i < channelList.Count; i++)
                {
                    if (await load.FirstCallFailsAsync(i, cancellationToken).ConfigureAwait(false) is { } unanswered)
                    {
                        return GatewayClient.ReportError(context, json: false, gateways[i], unanswered);
                    }
                }

                return await load.RunAsync(plan, parseResult.GetValue(warmUp)!.Value, parseResult.GetValue(keep), parseResult.GetValue(json), cancellationToken)
                    .ConfigureAwait(false) is { } error
                    ? GatewayClient.ReportError(context, json: false, uri, error)
                    : ExitCodes.Success;
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                return GatewayClient.ReportError(context, json: false, uri, e);
            }
            finally
            {
                channelList.ForEach(c => c.Dispose());
            }
        });
        return command;
    }

    /// <summary>The watch load's payments when <c>--payments</c> is not given: 10,000 streams are then 100 on each payment.</summary>
    private const int DefaultWatchedPayments = 100;

    /// <summary>
    /// <c>--sandbox-url</c>: where the watch load plays the customer. Without it, derived from <c>--server</c> as the
    /// gateway lays its endpoints out: the Web endpoint on the next port (5080/5081 by default, 5280/5281 in
    /// docs/benchmarks.md), the sandbox under <c>/sandbox</c>.
    /// </summary>
    private static Option<Uri?> SandboxUrlOption() => new("--sandbox-url")
    {
        Description = "Watch load: the gateway's sandbox, where the customer pays (default: --server's host, the next port, /sandbox, "
            + "e.g. http://127.0.0.1:5081/sandbox for http://127.0.0.1:5080). The gateway must be in Sandbox mode.",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                return WithSlash(uri);
            }

            result.AddError($"--sandbox-url: '{text}' is not an http:// or https:// URL.");
            return null;
        },
    };

    private static Uri DerivedSandboxUrl(Uri server) => new UriBuilder(server) { Port = server.Port + 1, Path = "/sandbox/" }.Uri;

    /// <summary>A base address ends with '/', or relative paths replace its last segment.</summary>
    private static Uri WithSlash(Uri uri) => uri.AbsolutePath.EndsWith('/') ? uri : new UriBuilder(uri) { Path = uri.AbsolutePath + "/" }.Uri;

    /// <summary>
    /// A whole-number option with its own one-line errors naming it: for text that is not a whole number (the parser's
    /// own message would name the CLR type) and for a number below <paramref name="minimum"/>.
    /// </summary>
    private static Option<int?> WholeNumber(string name, int minimum, string description, int? defaultValue = null)
    {
        var option = new Option<int?>(name)
        {
            Description = description,
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0)
                {
                    return defaultValue;
                }

                var text = result.Tokens[0].Value;
                if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                {
                    result.AddError($"{name}: '{text}' is not a whole number.");
                    return null;
                }

                if (value < minimum)
                {
                    result.AddError($"{name}: must be at least {minimum}.");
                    return null;
                }

                return value;
            },
        };
        if (defaultValue is { } fallback)
        {
            option.DefaultValueFactory = _ => fallback;
        }

        return option;
    }

    /// <summary>
    /// One <c>Health/Check</c> alone, before a run's concurrent calls: a server that does not answer gRPC (the Web
    /// endpoint, say) is then reported from this call. Concurrent calls to such a server were seen to wait forever
    /// (the CLI tests' HTTP/1 case). Null when it answered.
    /// </summary>
    /// <param name="check">Makes the health check, with the token it is given.</param>
    /// <param name="cancellationToken">Ends the command.</param>
    private static async Task<RpcException?> FirstCallFailsAsync(Func<CancellationToken, Task> check, CancellationToken cancellationToken)
    {
        try
        {
            await check(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return e;
        }
    }

    /// <summary>One <c>Health/Check</c>: the probe, and the baseline the creates are measured against.</summary>
    private static Task<HealthCheckResponse> CheckHealthAsync(Health.HealthClient health, CancellationToken cancellationToken) =>
        health.CheckAsync(new HealthCheckRequest(), cancellationToken: cancellationToken).ResponseAsync;

    /// <summary>The load on one gateway, or round robin over replicas on one database (each call to the next one).</summary>
    /// <param name="context">The command's console and clock.</param>
    /// <param name="channels">One channel per gateway.</param>
    /// <param name="terminal">The terminal id of the payments it creates.</param>
    /// <param name="prefix">The start of every request id of this run.</param>
    /// <param name="callTimeout">How long each call may take (<c>--call-timeout</c>), on the command's clock.</param>
    private sealed class Load(CliContext context, IReadOnlyList<GrpcChannel> channels, string terminal, string prefix, TimeSpan callTimeout)
    {
        private readonly PaymentService.PaymentServiceClient[] _payments = [.. channels.Select(c => new PaymentService.PaymentServiceClient(c))];
        private readonly Health.HealthClient[] _health = [.. channels.Select(c => new Health.HealthClient(c))];
        private readonly List<string> _created = [];
        private int _next;
        private int _nextHealth;

        /// <summary>The warm-up, the measured run, the cancellations; returns the error to report when a kind of call never succeeded.</summary>
        public async Task<RpcException?> RunAsync(LoadPlan plan, int warmUp, bool keep, bool json, CancellationToken cancellationToken)
        {
            try
            {
                if (warmUp > 0)
                {
                    var (create, health) = await new LoadRunner(context.TimeProvider, CallAsync)
                        .RunAsync(new LoadPlan(warmUp, 1, plan.Concurrency, null), cancellationToken).ConfigureAwait(false);
                    if (NeverAnswered(create.Summarize(), health.Summarize()) is { } warmUpError)
                    {
                        return warmUpError;
                    }
                }

                if (plan.Rate is null && plan.Count / plan.Rounds < CallsPerWorkerPerBlock * plan.Concurrency)
                {
                    context.Error.WriteLine(
                        $"note: blocks of {plan.Count / plan.Rounds} calls keep {plan.Concurrency} in flight only briefly; "
                        + $"--count {CallsPerWorkerPerBlock * plan.Concurrency * plan.Rounds} or more measures that concurrency.");
                }

                var runner = new LoadRunner(context.TimeProvider, CallAsync)
                {
                    RoundEnded = (round, rounds, create, health) =>
                        context.Error.WriteLine($"round {round}/{rounds}: {create.Calls} creates, {health.Calls} health checks"),
                };
                var (creates, checks) = await runner.RunAsync(plan, cancellationToken).ConfigureAwait(false);
                var result = new LoadResult(plan, creates.Summarize(), checks.Summarize());
                if (NeverAnswered(result.Create, result.Health) is { } error)
                {
                    return error;
                }

                ReportErrors(result);
                await context.Output.WriteLineAsync((json ? result.ToJson().ToJsonString() : result.ToText()).AsMemory(), cancellationToken).ConfigureAwait(false);
                return null;
            }
            finally
            {
                if (!keep && _created.Count > 0)
                {
                    await CancelAllAsync(plan.Concurrency, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        /// <summary>The command's probe of gateway number <paramref name="gateway"/>, under the call timeout.</summary>
        public Task<RpcException?> FirstCallFailsAsync(int gateway, CancellationToken cancellationToken) => LoadCommand.FirstCallFailsAsync(
            ct => WithinTimeoutAsync(t => CheckHealthAsync(_health[gateway], t), ct),
            cancellationToken);

        private Task CallAsync(LoadCall kind, CancellationToken cancellationToken) => kind switch
        {
            LoadCall.Create => WithinTimeoutAsync(CreateAsync, cancellationToken),
            _ => WithinTimeoutAsync(
                ct => CheckHealthAsync(_health[(int)((uint)Interlocked.Increment(ref _nextHealth) % (uint)_health.Length)], ct), cancellationToken),
        };

        /// <summary>
        /// The call, cancelled once the call timeout has passed on the command's clock (a gRPC deadline would be
        /// on the system clock), and then failed as DEADLINE_EXCEEDED: a gateway that stops answering ends the run.
        /// </summary>
        private async Task WithinTimeoutAsync(Func<CancellationToken, Task> call, CancellationToken cancellationToken)
        {
            using var timeout = new CancellationTokenSource(callTimeout, context.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await call(linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new RpcException(new Status(
                    StatusCode.DeadlineExceeded,
                    string.Create(CultureInfo.InvariantCulture, $"No answer within {callTimeout.TotalSeconds:0.###} s (--call-timeout).")));
            }
        }

        private async Task CreateAsync(CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _next);
            var request = new CreatePaymentRequest
            {
                RequestId = prefix + n.ToString(CultureInfo.InvariantCulture),
                TerminalId = terminal,
                Amount = new Money { CurrencyCode = "KHR", Units = 1000 + (n % 100 * 100) },
            };
            var payment = (await _payments[(int)((uint)n % (uint)_payments.Length)].CreatePaymentAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false)).Payment;
            lock (_created)
            {
                _created.Add(payment.PaymentId);
            }
        }

        /// <summary>A kind that failed every call measured nothing: its first error is the one to report (an unreachable gateway, say).</summary>
        private static RpcException? NeverAnswered(LoadSummary create, LoadSummary health) =>
            create.Answered == 0 && create.FirstError is not null ? create.FirstError
            : health.Answered == 0 && health.FirstError is not null ? health.FirstError
            : null;

        /// <summary>Some calls failed, not all: one line each on stderr, with the first error (its message cut short).</summary>
        private void ReportErrors(LoadResult result)
        {
            foreach (var (name, summary) in new[] { (LoadResult.CreateName, result.Create), (LoadResult.HealthName, result.Health) })
            {
                if (summary.FirstError is { } first)
                {
                    var detail = first.Status.Detail.Length > 200 ? first.Status.Detail[..200] + "…" : first.Status.Detail;
                    context.Error.WriteLine($"{name}: {summary.Errors} of {summary.Calls} calls failed; the first: {GatewayClient.CodeName(first.StatusCode)}: {detail}");
                }
            }
        }

        private async Task CancelAllAsync(int concurrency, CancellationToken cancellationToken)
        {
            context.Error.WriteLine($"cancelling the {_created.Count} payments");
            await Parallel.ForEachAsync(
                _created,
                new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
                async (id, ct) => await WithinTimeoutAsync(
                    t => _payments[0].CancelPaymentAsync(new CancelPaymentRequest { PaymentId = id }, cancellationToken: t).ResponseAsync, ct).ConfigureAwait(false))
                .ConfigureAwait(false);
        }
    }
}
