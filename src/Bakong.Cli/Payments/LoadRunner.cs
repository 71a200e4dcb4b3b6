using Grpc.Core;

namespace Bakong.Cli.Payments;

/// <summary>The two calls of a load run: the one measured and its baseline.</summary>
internal enum LoadCall
{
    /// <summary>CreatePayment, a new sale each time.</summary>
    Create,

    /// <summary>
    /// grpc.health.v1 <c>Health/Check</c>: what the same client, channel and server do for a call that does almost no
    /// work, so a create's cost can be read against this machine as it is during the run.
    /// </summary>
    Health,
}

/// <summary>How a load run offers its calls.</summary>
/// <param name="Count">Calls of each kind.</param>
/// <param name="Rounds">Blocks of creates, each followed by a block of health checks (fewer when Count is smaller).</param>
/// <param name="Concurrency">Closed loop: calls kept in flight. Open loop: the most in flight at once.</param>
/// <param name="Rate">Open loop: calls started per second by the clock; null: closed loop.</param>
internal sealed record LoadPlan(int Count, int Rounds, int Concurrency, int? Rate);

/// <summary>
/// Runs a <see cref="LoadPlan"/>: rounds that alternate a block of creates with a block of health checks over the same
/// channel, each block ended (every call answered) before the next one starts. Alternating blocks, not single calls,
/// because each kind's throughput is then its own, not a mix of both, and both kinds meet the same machine (other work
/// on it comes and goes during a run).
/// </summary>
/// <param name="clock">Paces the open loop and times every call.</param>
/// <param name="call">Makes one call of the kind; an <see cref="RpcException"/> is counted as an error.</param>
/// <param name="offered">
/// Told of each open-loop call at the instant it is due, on the pacer's thread, and whether it started (false: could
/// not start). The tests' sync point: when it is told, the decision is made.
/// </param>
internal sealed class LoadRunner(
    TimeProvider clock,
    Func<LoadCall, CancellationToken, Task> call,
    Action<LoadCall, bool>? offered = null)
{
    /// <summary>Told after each round: the round (from 1), the rounds, and the totals so far.</summary>
    public Action<int, int, LoadTally, LoadTally>? RoundEnded { get; init; }

    public async Task<(LoadTally Create, LoadTally Health)> RunAsync(LoadPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var create = new LoadTally();
        var health = new LoadTally();
        var rounds = Math.Min(plan.Rounds, plan.Count);
        for (var round = 0; round < rounds; round++)
        {
            // Nearly equal blocks: the first Count % rounds take one call more.
            var size = (plan.Count / rounds) + (round < plan.Count % rounds ? 1 : 0);
            await BlockAsync(LoadCall.Create, create, size, plan, cancellationToken).ConfigureAwait(false);
            await BlockAsync(LoadCall.Health, health, size, plan, cancellationToken).ConfigureAwait(false);
            RoundEnded?.Invoke(round + 1, rounds, create, health);
        }

        return (create, health);
    }

    private Task BlockAsync(LoadCall kind, LoadTally tally, int size, LoadPlan plan, CancellationToken cancellationToken) =>
        plan.Rate is { } rate
            ? OpenBlockAsync(kind, tally, size, rate, plan.Concurrency, cancellationToken)
            : ClosedBlockAsync(kind, tally, size, plan.Concurrency, cancellationToken);

    /// <summary>Closed loop: <paramref name="concurrency"/> workers, each starting its next call when its last one is answered.</summary>
    private async Task ClosedBlockAsync(LoadCall kind, LoadTally tally, int size, int concurrency, CancellationToken cancellationToken)
    {
        var start = clock.GetTimestamp();
        var claimed = -1;
        var workers = Enumerable.Range(0, Math.Min(concurrency, size)).Select(_ => Task.Run(
            async () =>
            {
                while (Interlocked.Increment(ref claimed) < size)
                {
                    await MeasureAsync(kind, tally, start, clock.GetElapsedTime(start), cancellationToken).ConfigureAwait(false);
                }
            },
            cancellationToken));
        await Task.WhenAll(workers).ConfigureAwait(false);
        tally.AddTime(clock.GetElapsedTime(start));
    }

    /// <summary>
    /// Open loop: call i is due <c>i / rate</c> seconds after the block starts, whatever the earlier calls are doing, so
    /// a slow server meets the same offered load as a fast one instead of slowing its client down. A due call starts at
    /// once unless <paramref name="cap"/> calls are in flight; then it could not start (there is no queue in the
    /// client, which would only hide the wait). Each call is timed from the instant it was due: a pacer that falls
    /// behind (a busy machine) adds to the latency rather than hiding it.
    /// </summary>
    private async Task OpenBlockAsync(LoadCall kind, LoadTally tally, int size, int rate, int cap, CancellationToken cancellationToken)
    {
        var start = clock.GetTimestamp();
        var inFlight = 0;
        var calls = new List<Task>(size);
        for (var i = 0; i < size; i++)
        {
            // Each due instant from the block's start, never from the previous wait: a timer that fires late (about 1 ms
            // on Linux) makes the next calls start together, and the rate over the block stays the one asked for.
            var due = TimeSpan.FromTicks(i * TimeSpan.TicksPerSecond / rate);
            var wait = due - clock.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, clock, cancellationToken).ConfigureAwait(false);
            }

            if (Interlocked.Increment(ref inFlight) > cap)
            {
                Interlocked.Decrement(ref inFlight);
                tally.CouldNotStart();
                offered?.Invoke(kind, false);
                continue;
            }

            // The call's own work (serialising, the HTTP/2 write) runs on the pool, not on the pacer.
            calls.Add(Task.Run(
                async () =>
                {
                    try
                    {
                        await MeasureAsync(kind, tally, start, due, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref inFlight);
                    }
                },
                cancellationToken));
            offered?.Invoke(kind, true);
        }

        await Task.WhenAll(calls).ConfigureAwait(false);
        tally.AddTime(clock.GetElapsedTime(start));
    }

    /// <summary>Makes one call and tallies it: answered (with its latency) or failed.</summary>
    /// <param name="kind">The call to make.</param>
    /// <param name="tally">Where its outcome goes.</param>
    /// <param name="blockStart">The block's start, a <see cref="TimeProvider.GetTimestamp"/>.</param>
    /// <param name="sent">When the call counts as sent, from <paramref name="blockStart"/>: its start, or in the open loop the instant it was due.</param>
    /// <param name="cancellationToken">Ends the run.</param>
    private async Task MeasureAsync(LoadCall kind, LoadTally tally, long blockStart, TimeSpan sent, CancellationToken cancellationToken)
    {
        try
        {
            await call(kind, cancellationToken).ConfigureAwait(false);
            tally.Answered(clock.GetElapsedTime(blockStart) - sent);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            tally.Failed(e);
        }
    }
}
