using System.Globalization;
using System.Net.Http.Json;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Bakong.Cli.Payments;

/// <summary>How a watch load runs.</summary>
/// <param name="Watchers">WatchPayment streams, spread evenly over the payments (watcher i watches payment i mod Payments).</param>
/// <param name="Payments">Payments created and then paid.</param>
/// <param name="Channels">gRPC channels the streams are spread over, each with its own HTTP/2 connections.</param>
/// <param name="Timeout">
/// The longest wait for every stream's first message, and again for every PAID after the last pay; when paced, also
/// the longest wait for one payment's watchers before the next payment is paid.
/// </param>
/// <param name="GatewayPid">The gateway's process id, to sample its resident memory; null: not sampled.</param>
/// <param name="Paced">
/// One payment at a time: each is paid only once every open stream of the one before saw PAID, so each timing is one
/// change reaching its watchers; otherwise every payment is paid at once and the timings measure a burst of changes.
/// </param>
internal sealed record WatchPlan(int Watchers, int Payments, int Channels, TimeSpan Timeout, int? GatewayPid, bool Paced);

/// <summary>
/// <c>bakong payments load --watchers W</c>: creates the payments, opens W <c>WatchPayment</c> streams on them, waits
/// until every stream has shown its first message (the payment, PENDING), then has the customer pay every payment
/// through the sandbox's control API and times, for each stream, how long PAID took to reach it. Paid all at once
/// (<see cref="SetUpConcurrency"/> pay calls in flight), or, with <see cref="WatchPlan.Paced"/>, one at a time.
/// </summary>
/// <remarks>
/// <para>
/// Three times per watcher that saw PAID, each ending when the stream delivered PAID here. After the PAID version's
/// <c>update_time</c>: the poller stamps it at the start of the pass that found the money, so this includes that pass's
/// Bakong call and durable save as well as the fan-out; it compares the gateway's clock with this client's, so it is
/// only meaningful with both on one machine. After the first delivery to any watcher of the same payment: the fan-out
/// alone, as this client sees it. After the pay call was sent: what a customer waits, mostly the poller's interval
/// (the gateway learns of the money only when it next asks Bakong).
/// </para>
/// <para>
/// Memory here is bounded by the watchers: one task, one call and two numbers each; nothing of a message is kept.
/// </para>
/// </remarks>
internal sealed class WatchLoad
{
    /// <summary>Creates and pays in flight at once: enough to keep the gateway busy, few enough not to be the load.</summary>
    private const int SetUpConcurrency = 8;

    /// <summary>
    /// Streams waiting for their first message at once. Opening all of them in one burst measures only how the
    /// gateway copes with a burst of 10,000 calls; this opens them as fast as the gateway answers, without a queue of
    /// thousands in the client.
    /// </summary>
    private const int OpeningAtOnce = 256;

    private readonly CliContext _context;
    private readonly Uri _server;
    private readonly string? _key;
    private readonly Uri _sandbox;
    private readonly string _terminal;
    private readonly string _prefix;
    private readonly TimeProvider _clock;
    private int _connections;
    private int _opened;
    private int _openFailed;
    private int _paid;
    private int _endedOtherwise;
    private int _failed;
    private int _timedOut;
    private int _latePayments;
    private RpcException? _firstError;

    public WatchLoad(CliContext context, Uri server, string? key, Uri sandbox, string terminal, string prefix)
    {
        _context = context;
        _server = server;
        _key = key;
        _sandbox = sandbox;
        _terminal = terminal;
        _prefix = prefix;
        _clock = context.TimeProvider;
    }

    private enum Outcome
    {
        Paid,
        EndedOtherwise,
        OpenFailed,
        Failed,
        TimedOut,
    }

    /// <summary>Runs the plan and writes the result; returns the exit code.</summary>
    public async Task<int> RunAsync(WatchPlan plan, bool json, CancellationToken cancellationToken)
    {
        using var memory = new MemorySampler(_clock, plan.GatewayPid);
        var channels = new GrpcChannel[plan.Channels];
        for (var i = 0; i < channels.Length; i++)
        {
            channels[i] = GatewayClient.Open(_server, _key, () => Interlocked.Increment(ref _connections));
        }

        var clients = channels.Select(c => new PaymentService.PaymentServiceClient(c)).ToArray();
        var payments = new Payment[plan.Payments];
        var paid = new bool[plan.Payments];
        try
        {
            Progress($"creating {plan.Payments} payments");
            await ForEachAsync(
                plan.Payments,
                async (p, ct) => payments[p] = await CreateAsync(clients[p % clients.Length], p, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            memory.Sample();

            Progress($"opening {plan.Watchers} streams over {Plural(plan.Channels, "channel")}");
            var paySent = new long[plan.Payments];

            // Per watcher, written once by its own task and read after every task has ended: when PAID arrived here
            // (a GetTimestamp, 0 for never) and how long after the PAID version's update_time.
            var deliveredAt = new long[plan.Watchers];
            var sinceUpdate = new double[plan.Watchers];
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var opening = new SemaphoreSlim(OpeningAtOnce);
            var arrived = 0;
            var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void Arrived()
            {
                if (Interlocked.Increment(ref arrived) == plan.Watchers)
                {
                    allArrived.TrySetResult();
                }
            }

            // Per payment, its watchers still to finish (each after PAID, or earlier on an error or when stopped): the
            // paced run waits for them before it pays the next payment.
            var watched = Enumerable.Range(0, plan.Payments)
                .Select(p => new Countdown((plan.Watchers / plan.Payments) + (p < plan.Watchers % plan.Payments ? 1 : 0)))
                .ToArray();
            var openStart = _clock.GetTimestamp();
            var watchers = new Task[plan.Watchers];
            for (var w = 0; w < plan.Watchers; w++)
            {
                var p = w % plan.Payments;
                var watcher = w;
                watchers[w] = WatchAsync(
                    clients[w % clients.Length],
                    payments[p],
                    (at, late) => (deliveredAt[watcher], sinceUpdate[watcher]) = (at, late.TotalMilliseconds),
                    opening,
                    Arrived,
                    watched[p].Signal,
                    stop);
            }

            var openTimedOut = !await ArrivedAsync(allArrived.Task, plan.Timeout, cancellationToken).ConfigureAwait(false);
            var openSeconds = _clock.GetElapsedTime(openStart).TotalSeconds;
            memory.Sample();
            if (openTimedOut)
            {
                await StopAsync(stop, watchers).ConfigureAwait(false);
                Progress($"{Volatile.Read(ref _opened)} of {plan.Watchers} streams had their first message after {Seconds(plan.Timeout)}; not paying");
            }
            else if (Volatile.Read(ref _opened) == 0 && Volatile.Read(ref _firstError) is { } error)
            {
                // Nothing to measure: the first error says why (an unreachable gateway, a cap on watch streams).
                await Task.WhenAll(watchers).ConfigureAwait(false);
                return GatewayClient.ReportError(_context, json: false, _server, error);
            }
            else
            {
                Progress($"{Volatile.Read(ref _opened)} streams open ({Volatile.Read(ref _openFailed)} failed) in {openSeconds.ToString("F1", CultureInfo.InvariantCulture)} s; "
                    + $"paying {Plural(plan.Payments, "payment")}{(plan.Paced ? " one at a time" : "")} through {new Uri(_sandbox, "control/pay")}");
                using var pay = new Sandbox(this);
                var payError = plan.Paced
                    ? await PayInTurnAsync(pay, payments, paid, paySent, watched, plan.Timeout, cancellationToken).ConfigureAwait(false)
                    : await PayAllAsync(pay, payments, paid, paySent, cancellationToken).ConfigureAwait(false);
                if (payError is not null)
                {
                    await StopAsync(stop, watchers).ConfigureAwait(false);
                    _context.Error.WriteLine(payError);
                    return PaymentExitCodes.Error;
                }

                Progress(plan.Paced
                    ? $"paid {Plural(plan.Payments, "payment")} one at a time"
                    : $"paid {Plural(plan.Payments, "payment")}; waiting for PAID on {plan.Watchers} streams");
                if (!await ArrivedAsync(Task.WhenAll(watchers), plan.Timeout, cancellationToken).ConfigureAwait(false))
                {
                    await StopAsync(stop, watchers).ConfigureAwait(false);
                }
            }

            memory.Sample();
            IEnumerable<int> Paid() => Enumerable.Range(0, plan.Watchers).Where(w => deliveredAt[w] != 0);
            var firstDelivery = new long[plan.Payments];
            foreach (var w in Paid())
            {
                var p = w % plan.Payments;
                firstDelivery[p] = firstDelivery[p] == 0 ? deliveredAt[w] : Math.Min(firstDelivery[p], deliveredAt[w]);
            }

            var result = new WatchLoadResult(
                plan,
                HandlerIsNetwork ? Volatile.Read(ref _connections) : null,
                new WatchCounts(_opened, _openFailed, _paid, _endedOtherwise, _failed, _timedOut),
                openSeconds,
                Summary(Paid().Select(w => sinceUpdate[w])),
                Summary(Paid().Select(w => _clock.GetElapsedTime(firstDelivery[w % plan.Payments], deliveredAt[w]).TotalMilliseconds)),
                Summary(Paid().Select(w => _clock.GetElapsedTime(paySent[w % plan.Payments], deliveredAt[w]).TotalMilliseconds)),
                memory.GatewayBefore,
                memory.GatewayPeak,
                memory.ClientPeak,
                plan.Paced ? _latePayments : null);
            ReportProblems(result.Counts, plan);
            if (_latePayments > 0)
            {
                _context.Error.WriteLine($"paced: {_latePayments} of {Plural(plan.Payments, "payment")} still had watchers without PAID after {Seconds(plan.Timeout)} (--timeout); the next payment was paid anyway");
            }

            await _context.Output.WriteLineAsync((json ? result.ToJson().ToJsonString() : result.ToText()).AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        finally
        {
            await CancelUnpaidAsync(clients[0], payments, paid, cancellationToken).ConfigureAwait(false);
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    /// <summary>False when a test routes the channels into an in-process gateway: there are no connections to count.</summary>
    private static bool HandlerIsNetwork => GatewayClient.HandlerOverride.Value is null;

    private async Task<Payment> CreateAsync(PaymentService.PaymentServiceClient client, int p, CancellationToken cancellationToken)
    {
        var request = new CreatePaymentRequest
        {
            RequestId = _prefix + p.ToString(CultureInfo.InvariantCulture),
            TerminalId = _terminal,
            Amount = new Money { CurrencyCode = "KHR", Units = 1000 + (p % 100 * 100) },

            // The longest a QR may live: opening 10,000 streams on a busy machine can take minutes, and a payment that
            // expired before it was paid measures nothing.
            ExpiresIn = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(10)),
        };
        return (await client.CreatePaymentAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false)).Payment;
    }

    /// <summary>One watcher: its first message (then it has arrived), then every change until a terminal state.</summary>
    private async Task WatchAsync(
        PaymentService.PaymentServiceClient client,
        Payment payment,
        Action<long, TimeSpan> delivered,
        SemaphoreSlim opening,
        Action arrived,
        Action ended,
        CancellationTokenSource stop)
    {
        var hasArrived = false;
        var outcome = Outcome.TimedOut;
        try
        {
            await opening.WaitAsync(stop.Token).ConfigureAwait(false);
            try
            {
                using var call = client.WatchPayment(new WatchPaymentRequest { PaymentId = payment.PaymentId }, cancellationToken: stop.Token);
                var stream = call.ResponseStream;
                if (!await stream.MoveNext(stop.Token).ConfigureAwait(false))
                {
                    outcome = Outcome.EndedOtherwise;
                    return;
                }

                Interlocked.Increment(ref _opened);
                opening.Release();
                hasArrived = true;
                arrived();
                var current = stream.Current.Payment;
                while (current.State == Payment.Types.State.Pending)
                {
                    if (!await stream.MoveNext(stop.Token).ConfigureAwait(false))
                    {
                        outcome = Outcome.EndedOtherwise;
                        return;
                    }

                    current = stream.Current.Payment;
                }

                if (current.State != Payment.Types.State.Paid)
                {
                    outcome = Outcome.EndedOtherwise;
                    return;
                }

                delivered(_clock.GetTimestamp(), _clock.GetUtcNow() - current.UpdateTime.ToDateTimeOffset());
                outcome = Outcome.Paid;
            }
            finally
            {
                if (!hasArrived)
                {
                    opening.Release();
                }
            }
        }
        catch (RpcException e) when (!stop.IsCancellationRequested)
        {
            Interlocked.CompareExchange(ref _firstError, e, null);
            outcome = hasArrived ? Outcome.Failed : Outcome.OpenFailed;
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            outcome = Outcome.TimedOut;
        }
        finally
        {
            Count(outcome);
            if (!hasArrived)
            {
                arrived();
            }

            ended();
        }
    }

    private void Count(Outcome outcome)
    {
        switch (outcome)
        {
            case Outcome.Paid:
                Interlocked.Increment(ref _paid);
                break;
            case Outcome.EndedOtherwise:
                Interlocked.Increment(ref _endedOtherwise);
                break;
            case Outcome.OpenFailed:
                Interlocked.Increment(ref _openFailed);
                break;
            case Outcome.Failed:
                Interlocked.Increment(ref _failed);
                break;
            default:
                Interlocked.Increment(ref _timedOut);
                break;
        }
    }

    /// <summary>Has the customer pay every payment at once; returns the line to report when a pay call fails (nothing is measured then).</summary>
    private static async Task<string?> PayAllAsync(Sandbox sandbox, Payment[] payments, bool[] paid, long[] paySent, CancellationToken cancellationToken)
    {
        string? error = null;
        await ForEachAsync(
            payments.Length,
            async (p, ct) =>
            {
                if (Volatile.Read(ref error) is null && await sandbox.PayAsync(payments, paid, paySent, p, ct).ConfigureAwait(false) is { } failed)
                {
                    Interlocked.CompareExchange(ref error, failed, null);
                }
            },
            cancellationToken).ConfigureAwait(false);
        return error;
    }

    /// <summary>
    /// Has the customer pay the payments one at a time, in order: each once every watcher of the one before has finished
    /// (seen PAID, or failed), or after <paramref name="timeout"/> (counted as a late payment), so that each change
    /// reaches its watchers alone, with every other stream still open. Returns the line to report when a pay call fails.
    /// </summary>
    private async Task<string?> PayInTurnAsync(
        Sandbox sandbox, Payment[] payments, bool[] paid, long[] paySent, Countdown[] watched, TimeSpan timeout, CancellationToken cancellationToken)
    {
        for (var p = 0; p < payments.Length; p++)
        {
            if (await sandbox.PayAsync(payments, paid, paySent, p, cancellationToken).ConfigureAwait(false) is { } error)
            {
                return error;
            }

            if (!await ArrivedAsync(watched[p].Done, timeout, cancellationToken).ConfigureAwait(false))
            {
                _latePayments++;
            }
        }

        return null;
    }

    /// <summary>The sandbox's control API, where the customer pays.</summary>
    private sealed class Sandbox(WatchLoad load) : IDisposable
    {
        private readonly HttpClient _http = new(GatewayClient.HttpHandler())
        {
            BaseAddress = load._sandbox,
            Timeout = TimeSpan.FromSeconds(30),
        };

        /// <summary>Pays payment <paramref name="p"/>, noting when the call was sent; returns the line to report when it fails.</summary>
        public async Task<string?> PayAsync(Payment[] payments, bool[] paid, long[] paySent, int p, CancellationToken cancellationToken)
        {
            paySent[p] = load._clock.GetTimestamp();
            try
            {
                using var response = await _http.PostAsJsonAsync("control/pay", new { qr = payments[p].Khqr }, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    paid[p] = true;
                    return null;
                }

                return $"error: the sandbox at {load._sandbox} refused to pay (HTTP {(int)response.StatusCode}); is --sandbox-url the gateway's Web endpoint + /sandbox, in Sandbox mode?";
            }
            catch (HttpRequestException e)
            {
                return $"error: cannot reach the sandbox at {load._sandbox} ({e.Message}); give --sandbox-url";
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return $"error: the sandbox at {load._sandbox} did not answer a pay call within {Seconds(_http.Timeout)}";
            }
        }

        public void Dispose() => _http.Dispose();
    }

    /// <summary>Completes when it has been signalled as many times as it was made with (at once for none).</summary>
    private sealed class Countdown
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining;

        public Countdown(int count)
        {
            _remaining = count;
            if (count == 0)
            {
                _done.TrySetResult();
            }
        }

        public Task Done => _done.Task;

        public void Signal()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _done.TrySetResult();
            }
        }
    }

    /// <summary>Waits for <paramref name="task"/>; false when <paramref name="timeout"/> passed first.</summary>
    private async Task<bool> ArrivedAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, _clock, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Ends every stream still open; those that had not finished count as timed out.</summary>
    private static async Task StopAsync(CancellationTokenSource stop, Task[] watchers)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(watchers).ConfigureAwait(false);
    }

    /// <summary>Streams that failed or timed out: one line each on stderr, with the first error.</summary>
    private void ReportProblems(WatchCounts counts, WatchPlan plan)
    {
        var failed = counts.OpenFailed + counts.Failed;
        if (failed > 0 && _firstError is { } first)
        {
            var detail = first.Status.Detail.Length > 200 ? first.Status.Detail[..200] + "…" : first.Status.Detail;
            _context.Error.WriteLine($"WatchPayment: {failed} of {plan.Watchers} streams failed; the first: {GatewayClient.CodeName(first.StatusCode)}: {detail}");
        }

        if (counts.TimedOut > 0)
        {
            _context.Error.WriteLine($"WatchPayment: {counts.TimedOut} of {plan.Watchers} streams had not finished after {Seconds(plan.Timeout)} (--timeout)");
        }
    }

    /// <summary>Payments the run did not pay (it stopped early) are cancelled, so the gateway stops polling them.</summary>
    private async Task CancelUnpaidAsync(PaymentService.PaymentServiceClient client, Payment[] payments, bool[] paid, CancellationToken cancellationToken)
    {
        var unpaid = payments.Where((p, i) => p is not null && !paid[i]).ToList();
        if (unpaid.Count == 0 || cancellationToken.IsCancellationRequested)
        {
            return;
        }

        Progress($"cancelling the {Plural(unpaid.Count, "unpaid payment")}");
        await ForEachAsync(
            unpaid.Count,
            async (i, ct) =>
            {
                try
                {
                    await client.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = unpaid[i].PaymentId }, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
                {
                    // Already over (paid after all): nothing to cancel.
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    private static LoadSummary Summary(IEnumerable<double> latenciesMs)
    {
        var sorted = latenciesMs.ToArray();
        Array.Sort(sorted);
        return new LoadSummary(sorted, 0, 0, 0, null);
    }

    private static Task ForEachAsync(int count, Func<int, CancellationToken, ValueTask> body, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = SetUpConcurrency, CancellationToken = cancellationToken }, body);

    private void Progress(string line) => _context.Error.WriteLine(line);

    private static string Plural(int n, string noun) => n.ToString(CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? "" : "s");

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";
}
