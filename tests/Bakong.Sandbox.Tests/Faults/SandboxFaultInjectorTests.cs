using Bakong.Sandbox.Faults;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Sandbox.Tests.Faults;

public sealed class SandboxFaultInjectorTests
{
    private static readonly BakongEndpoint s_md5 = BakongEndpoint.All.Single(e => e.Kind == BakongEndpointKind.Md5);

    [Fact]
    public void Turning_a_fault_fully_on_does_not_change_which_calls_the_other_rates_strike()
    {
        var alone = new SandboxFaultInjector(new SandboxRandom(42), NullLogger.Instance)
        {
            Current = new SandboxFaults { ServerErrorRate = 0.5 },
        };
        var withOthers = new SandboxFaultInjector(new SandboxRandom(42), NullLogger.Instance)
        {
            Current = new SandboxFaults { ServerErrorRate = 0.5, TooManyRequestsRate = 1, MalformedJsonRate = 0 },
        };

        var expected = Enumerable.Range(0, 40).Select(_ => alone.Draw(s_md5).ServerErrorStatus).ToArray();
        var decisions = Enumerable.Range(0, 40).Select(_ => withOthers.Draw(s_md5)).ToArray();

        Assert.Equal(expected, decisions.Select(d => d.ServerErrorStatus));
        Assert.Contains(500, expected);
        Assert.Contains(0, expected);
        Assert.All(decisions, d => Assert.True(d.TooManyRequests && !d.Malformed));
    }

    [Fact]
    public void Invalid_faults_are_refused_and_those_in_force_stay()
    {
        var injector = new SandboxFaultInjector(new SandboxRandom(1), NullLogger.Instance);
        var inForce = new SandboxFaults { LatencyMs = 150, GeoBlocked = true };
        injector.Current = inForce;

        Assert.Throws<ArgumentException>(() => injector.Current = new SandboxFaults { TimeoutRate = 1.5 });
        Assert.Throws<ArgumentException>(() => injector.Current = new SandboxFaults { ServerErrorStatus = 404 });

        Assert.Same(inForce, injector.Current);
        var decision = injector.Draw(s_md5);
        Assert.Equal((true, TimeSpan.FromMilliseconds(150)), (decision.Forbidden, decision.Latency));
    }
}
