using System.Threading.Channels;
using Bakong.Payments.Polling;

namespace Bakong.Payments.Tests.Polling;

/// <summary>The loop itself, on the fake clock: no sleeps, each step waits for a pass or for the loop's next timer.</summary>
public sealed class PollerLoopTests : IAsyncDisposable
{
    private static readonly DateTimeOffset s_t0 = TestPayments.Start;
    private readonly PollerHarness _h = new();
    private readonly Channel<PollPass> _passes = Channel.CreateUnbounded<PollPass>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _h.Poller.StopAsync(CancellationToken.None);
        await _h.DisposeAsync();
    }

    [Fact]
    public async Task A_signal_wakes_the_loop_for_a_new_payment_and_ticks_follow_its_schedule()
    {
        await StartAsync();
        Assert.Equal(0, (await NextPassAsync()).Due);
        await _h.Clock.WaitForTimersAsync(1);

        var payment = await _h.CreateAsync();
        _h.Signal.Notify();

        // No time passed: the first check happened because of the signal.
        var first = await NextPassAsync();
        Assert.Equal((s_t0, 1), (first.Now, first.Calls));
        Assert.Equal(1, _h.Bakong.CallsFor(payment.Md5));

        await _h.Clock.WaitForTimersAsync(2);
        _h.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await NextPassAsync()).Due);

        await _h.Clock.WaitForTimersAsync(3);
        _h.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = await NextPassAsync();
        Assert.Equal((s_t0 + TimeSpan.FromSeconds(2), 1), (second.Now, second.Calls));

        _h.Bakong.Pay(payment.Md5, TestPayments.Transaction());
        await _h.Clock.WaitForTimersAsync(4);
        _h.Clock.Advance(TimeSpan.FromSeconds(2));
        await NextPassAsync();
        Assert.Equal(PaymentState.Paid, (await _h.GetAsync(payment)).State);
    }

    [Fact]
    public async Task A_signal_while_a_pass_runs_is_not_lost()
    {
        var created = new TaskCompletionSource<Payment>(TaskCreationOptions.RunContinuationsAsynchronously);
        var early = await _h.InsertAsync();
        _h.Bakong.DuringCall = async _ =>
        {
            _h.Bakong.DuringCall = null;
            created.SetResult(await _h.CreateAsync());
            _h.Signal.Notify();
        };
        await StartAsync();

        Assert.Equal(1, (await NextPassAsync()).Calls);
        var late = await created.Task;
        var next = await NextPassAsync();

        Assert.Equal(s_t0, next.Now);
        Assert.Equal(1, _h.Bakong.CallsFor(late.Md5));
        Assert.Equal(1, _h.Bakong.CallsFor(early.Md5));
    }

    [Fact]
    public async Task A_started_poller_resumes_the_stored_schedule_at_once()
    {
        var payment = await _h.CreateAsync();
        await _h.RunAsync(s_t0);
        _h.Restart();
        _h.Clock.Advance(TimeSpan.FromSeconds(30));

        await StartAsync();
        var pass = await NextPassAsync();

        Assert.Equal((1, 1), (pass.Due, pass.Calls));
        Assert.Equal(s_t0 + TimeSpan.FromSeconds(32), (await _h.GetAsync(payment)).NextCheckTime);
    }

    [Fact]
    public async Task A_pass_that_throws_is_logged_and_the_loop_tries_again_after_the_fault_delay()
    {
        var payment = await _h.InsertAsync();
        _h.Bakong.DuringCall = _ =>
        {
            _h.Bakong.DuringCall = null;
            throw new InvalidOperationException("boom");
        };
        await StartAsync();
        await _h.Clock.WaitForTimersAsync(1);
        Assert.Equal(1, _h.Logger.Count("PollerPassFailed"));

        _h.Clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(_passes.Reader.TryRead(out _));
        _h.Clock.Advance(TimeSpan.FromSeconds(1));
        var pass = await NextPassAsync();

        Assert.Equal(1, pass.Calls);
        Assert.Equal(2, _h.Bakong.CallsFor(payment.Md5));
        Assert.Equal(PaymentState.Pending, (await _h.GetAsync(payment)).State);
    }

    private async Task StartAsync()
    {
        _h.Poller.PassCompleted = p => _passes.Writer.TryWrite(p);
        await _h.Poller.StartAsync(Ct);
    }

    private async Task<PollPass> NextPassAsync() =>
        await _passes.Reader.ReadAsync(Ct).AsTask().WaitAsync(PollerHarness.SignalTimeout, Ct);
}
