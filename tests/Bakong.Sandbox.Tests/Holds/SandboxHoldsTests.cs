using Bakong.Sandbox.Holds;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Sandbox.Tests.Holds;

public sealed class SandboxHoldsTests
{
    private static readonly TimeSpan s_signalTimeout = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_waiter_completes_once_that_many_requests_are_held_and_holds_end_with_the_clock()
    {
        var holds = new SandboxHolds(_time);
        var ct = TestContext.Current.CancellationToken;
        var two = holds.WaitForAsync(2, ct);

        var first = holds.HoldAsync(TimeSpan.FromSeconds(3), ct);
        Assert.False(two.IsCompleted);
        var second = holds.HoldAsync(TimeSpan.FromSeconds(5), ct);
        await two.WaitAsync(s_signalTimeout, ct);
        Assert.Equal(2, holds.Count);

        _time.Advance(TimeSpan.FromSeconds(3));
        await first.WaitAsync(s_signalTimeout, ct);
        Assert.Equal(1, holds.Count);
        await holds.WaitForAsync(1, ct).WaitAsync(s_signalTimeout, ct);

        _time.Advance(TimeSpan.FromSeconds(2));
        await second.WaitAsync(s_signalTimeout, ct);
        Assert.Equal(0, holds.Count);
    }

    [Fact]
    public async Task A_hold_the_client_gives_up_on_is_released()
    {
        var holds = new SandboxHolds(_time);
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var held = holds.HoldAsync(TimeSpan.FromMinutes(5), giveUp.Token);
        Assert.Equal(1, holds.Count);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held.WaitAsync(s_signalTimeout, TestContext.Current.CancellationToken));
        Assert.Equal(0, holds.Count);
    }
}
