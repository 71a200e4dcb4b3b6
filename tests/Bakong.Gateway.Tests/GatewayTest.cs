namespace Bakong.Gateway.Tests;

/// <summary>A test class with its own gateway (fresh store, sandbox and fake clock per test), disposed after each test.</summary>
public abstract class GatewayTest : IAsyncLifetime
{
    protected GatewayFactory Gateway { get; } = new();

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>The payment as the store holds it, with what the contract does not show (events, outbox, schedule).</summary>
    protected async Task<Bakong.Payments.Payment> StoredAsync(string paymentId) => (await Gateway.Store.GetAsync(paymentId, Ct))!;
}
