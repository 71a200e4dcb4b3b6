using System.Collections.Concurrent;
using System.Threading.Channels;
using Bakong.Cli.Payments;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Cli.Tests.Payments;

public sealed class LoadRunnerTests
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Open_loop_starts_n_calls_a_second_at_their_instants_while_earlier_calls_are_still_running()
    {
        var (clock, offers, creates, runner) = OpenLoop();

        var run = runner.RunAsync(new LoadPlan(Count: 4, Rounds: 1, Concurrency: 100, Rate: 4), Ct);

        // No create is answered until all four have started: they are paced by the clock, not by answers.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal((LoadCall.Create, true, TimeSpan.FromMilliseconds(250 * i)), await NextAsync(offers));
            clock.Advance(TimeSpan.FromMilliseconds(250));
        }

        creates.SetResult();

        // The health block starts when the last create is answered (at 1 s), at the same pace.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal((LoadCall.Health, true, TimeSpan.FromMilliseconds(1000 + (250 * i))), await NextAsync(offers));
            clock.Advance(TimeSpan.FromMilliseconds(250));
        }

        var (create, health) = await run.WaitAsync(s_timeout, Ct);
        Assert.Equal((4, 0, 0), (create.Summarize().Calls, create.Summarize().Errors, create.Summarize().CouldNotStart));
        Assert.Equal(4, health.Summarize().Calls);
    }

    [Fact]
    public async Task Open_loop_counts_the_calls_due_while_the_cap_is_in_flight_as_could_not_start_and_times_calls_from_their_due_instant()
    {
        var (clock, offers, creates, runner) = OpenLoop();

        var run = runner.RunAsync(new LoadPlan(Count: 4, Rounds: 1, Concurrency: 2, Rate: 4), Ct);

        Assert.Equal((LoadCall.Create, true, TimeSpan.Zero), await NextAsync(offers));
        clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal((LoadCall.Create, true, TimeSpan.FromMilliseconds(250)), await NextAsync(offers));
        clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal((LoadCall.Create, false, TimeSpan.FromMilliseconds(500)), await NextAsync(offers));
        clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal((LoadCall.Create, false, TimeSpan.FromMilliseconds(750)), await NextAsync(offers));
        clock.Advance(TimeSpan.FromMilliseconds(250));
        creates.SetResult(); // at 1 s: the call due at 0 waited 1 s, the one due at 250 ms 750 ms

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(LoadCall.Health, (await NextAsync(offers)).Kind);
            clock.Advance(TimeSpan.FromMilliseconds(250));
        }

        var (create, _) = await run.WaitAsync(s_timeout, Ct);
        var created = create.Summarize();
        Assert.Equal((2, 2), (created.Calls, created.CouldNotStart));
        Assert.Equal(new[] { 750.0, 1000.0 }, created.SortedLatenciesMs);
    }

    [Fact]
    public async Task Rounds_alternate_a_block_of_creates_and_a_block_of_health_checks_that_never_overlap()
    {
        var started = new ConcurrentQueue<LoadCall>();
        var inFlight = new int[2];
        var overlaps = 0;
        var runner = new LoadRunner(new FakeTimeProvider(s_start), async (kind, _) =>
        {
            started.Enqueue(kind);
            Interlocked.Increment(ref inFlight[(int)kind]);
            if (Volatile.Read(ref inFlight[1 - (int)kind]) > 0)
            {
                Interlocked.Increment(ref overlaps);
            }

            await Task.Yield();
            Interlocked.Decrement(ref inFlight[(int)kind]);
        });

        // 5 calls of each kind in 2 rounds: blocks of 3, then 2.
        await runner.RunAsync(new LoadPlan(Count: 5, Rounds: 2, Concurrency: 2, Rate: null), Ct).WaitAsync(s_timeout, Ct);

        const LoadCall C = LoadCall.Create, H = LoadCall.Health;
        Assert.Equal(new[] { C, C, C, H, H, H, C, C, H, H }, started.ToArray());
        Assert.Equal(0, overlaps);
    }

    [Fact]
    public async Task Closed_loop_keeps_the_concurrency_in_flight_and_starts_the_next_call_when_one_is_answered()
    {
        var clock = new FakeTimeProvider(s_start);
        var calls = Channel.CreateUnbounded<TaskCompletionSource>();
        var runner = new LoadRunner(clock, (kind, _) =>
        {
            var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (kind == LoadCall.Health)
            {
                answer.SetResult();
            }
            else
            {
                calls.Writer.TryWrite(answer);
            }

            return answer.Task;
        });

        var run = runner.RunAsync(new LoadPlan(Count: 3, Rounds: 1, Concurrency: 2, Rate: null), Ct);

        var first = await NextAsync(calls);
        var second = await NextAsync(calls);
        Assert.False(calls.Reader.TryRead(out _)); // two in flight, the third waits for an answer
        clock.Advance(TimeSpan.FromMilliseconds(10));
        first.SetResult();
        var third = await NextAsync(calls);
        clock.Advance(TimeSpan.FromMilliseconds(5));
        second.SetResult();
        third.SetResult();

        var (create, _) = await run.WaitAsync(s_timeout, Ct);
        var summary = create.Summarize();
        Assert.Equal(new[] { 5.0, 10.0, 15.0 }, summary.SortedLatenciesMs);
        Assert.Equal(0.015, summary.Seconds, 6);
        Assert.Equal(200, summary.PerSecond!.Value, 6);
    }

    [Fact]
    public async Task A_failed_call_is_counted_as_an_error_and_left_out_of_the_latencies()
    {
        var n = 0;
        var runner = new LoadRunner(new FakeTimeProvider(s_start), (kind, _) =>
            kind == LoadCall.Create && Interlocked.Increment(ref n) % 2 == 0
                ? Task.FromException(new RpcException(new Status(StatusCode.Unavailable, "the store is full")))
                : Task.CompletedTask);

        var (create, health) = await runner.RunAsync(new LoadPlan(Count: 10, Rounds: 1, Concurrency: 1, Rate: null), Ct).WaitAsync(s_timeout, Ct);

        var summary = create.Summarize();
        Assert.Equal((10, 5, 5), (summary.Calls, summary.Errors, summary.Answered));
        Assert.Equal(StatusCode.Unavailable, summary.FirstError!.StatusCode);
        Assert.Equal((10, 0), (health.Summarize().Calls, health.Summarize().Errors));
    }

    [Theory]
    [InlineData(50, 50)]
    [InlineData(90, 90)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    [InlineData(29, 29)] // 0.29 × 100 is 28.999… in floating point
    [InlineData(1, 1)]
    public void Percentiles_are_nearest_rank_of_the_measured_values(int percent, double expected)
    {
        var values = Enumerable.Range(1, 100).Select(v => (double)v).ToArray();

        Assert.Equal(expected, LoadSummary.Percentile(values, percent));
    }

    [Fact]
    public void Percentiles_of_few_values_are_the_largest_rank_they_reach_and_of_none_are_unknown()
    {
        double[] ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        double[] thousand = [.. Enumerable.Range(1, 1000).Select(v => (double)v)];

        Assert.Equal(5.0, LoadSummary.Percentile(ten, 50));
        Assert.Equal(9.0, LoadSummary.Percentile(ten, 90));
        Assert.Equal(10.0, LoadSummary.Percentile(ten, 99));
        Assert.Equal(990.0, LoadSummary.Percentile(thousand, 99));
        Assert.Equal(7.0, LoadSummary.Percentile([7.0], 99));
        Assert.Null(LoadSummary.Percentile([], 99));
    }

    [Fact]
    public void The_ratio_is_creates_per_second_over_health_checks_per_second()
    {
        var create = new LoadSummary([.. Enumerable.Repeat(1.0, 100)], 0, 0, Seconds: 1, null);
        var health = new LoadSummary([.. Enumerable.Repeat(1.0, 400)], 0, 0, Seconds: 0.5, null);

        var result = new LoadResult(new LoadPlan(100, 1, 8, null), create, health);

        Assert.Equal(0.125, result.Ratio);
        Assert.Equal(0.125, result.ToJson()["ratio"]!.GetValue<double>());
    }

    /// <summary>
    /// An open-loop runner on a fake clock whose creates are answered only when the test completes
    /// <c>Creates</c> (health checks at once); every offered call is written to <c>Offers</c> with its time from the start.
    /// </summary>
    private static (FakeTimeProvider Clock, Channel<(LoadCall Kind, bool Started, TimeSpan At)> Offers, TaskCompletionSource Creates, LoadRunner Runner) OpenLoop()
    {
        var clock = new FakeTimeProvider(s_start);
        var offers = Channel.CreateUnbounded<(LoadCall Kind, bool Started, TimeSpan At)>();
        var creates = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runner = new LoadRunner(
            clock,
            (kind, _) => kind == LoadCall.Create ? creates.Task : Task.CompletedTask,
            (kind, started) => offers.Writer.TryWrite((kind, started, clock.GetUtcNow() - s_start)));
        return (clock, offers, creates, runner);
    }

    private static async Task<T> NextAsync<T>(Channel<T> channel) => await channel.Reader.ReadAsync(Ct).AsTask().WaitAsync(s_timeout, Ct);
}
