namespace Bakong.Gateway.Tests;

/// <summary>
/// One gateway for every test of a class (an xunit class fixture), for read-only contract tests: tests that create
/// and read payments under request ids (and terminal ids, where they list) of their own, and never move the clock,
/// change the sandbox's faults or depend on an empty store. Booting a host per test was most of these classes' time.
/// </summary>
public sealed class SharedGateway : IAsyncDisposable
{
    public GatewayFactory Gateway { get; } = new();

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}

/// <summary>A test class sharing one <see cref="SharedGateway"/> between its tests (see there for what they may do).</summary>
public abstract class SharedGatewayTest(SharedGateway shared) : IClassFixture<SharedGateway>
{
    protected GatewayFactory Gateway => shared.Gateway;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;
}
