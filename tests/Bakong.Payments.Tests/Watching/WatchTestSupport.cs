using Bakong.Payments.Storage;
using Bakong.Payments.Watching;
using Microsoft.Extensions.Hosting;

namespace Bakong.Payments.Tests.Watching;

/// <summary>A host lifetime whose stopping the test triggers.</summary>
internal sealed class TestLifetime : IHostApplicationLifetime, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    public CancellationToken ApplicationStarted => CancellationToken.None;

    public CancellationToken ApplicationStopping => _stopping.Token;

    public CancellationToken ApplicationStopped => CancellationToken.None;

    public void StopApplication() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();
}

/// <summary>A real store on a temp file, a hub on it, and helpers that save a change and publish it as the poller does.</summary>
internal sealed class WatchHarness : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _dir = new();

    public WatchHarness()
    {
        Store = new LiteDbPaymentStore(_dir.File("payments.db"));
        Hub = new PaymentWatchHub(new HookedStore(Store, this), Lifetime);
    }

    public LiteDbPaymentStore Store { get; }

    public TestLifetime Lifetime { get; } = new();

    public PaymentWatchHub Hub { get; }

    /// <summary>Runs inside the hub's store read, before the store is read.</summary>
    public Func<Task>? BeforeRead { get; set; }

    /// <summary>Runs inside the hub's store read, after the store was read and before the hub gets the result.</summary>
    public Func<Task>? AfterRead { get; set; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async Task<Payment> CreateAsync()
    {
        var result = await Store.InsertIfAbsentAsync(TestPayments.New(), Ct);
        return result.Payment;
    }

    /// <summary>Reads the payment, applies <paramref name="change"/>, saves it and publishes it.</summary>
    public async Task<PaymentSnapshot> ChangeAsync(string paymentId, Func<Payment, TransitionResult> change)
    {
        var payment = await Store.GetAsync(paymentId, Ct) ?? throw new InvalidOperationException("no payment " + paymentId);
        Assert.True(change(payment).IsApplied);
        Assert.Equal(SaveResult.Saved, await Store.SaveAsync(payment, Ct));
        Hub.Publish(payment);
        return payment.ToSnapshot();
    }

    /// <summary>A poll bookkeeping change: version + 1, still pending.</summary>
    public Task<PaymentSnapshot> CheckAsync(string paymentId) =>
        ChangeAsync(paymentId, p => p.RecordCheck(TestPayments.Start.AddSeconds(p.Version), TestPayments.Start.AddMinutes(1)));

    public void Dispose()
    {
        Store.Dispose();
        Lifetime.Dispose();
        _dir.Dispose();
    }

    private sealed class HookedStore(IPaymentStore inner, WatchHarness harness) : DelegatingPaymentStore(inner)
    {
        public override async Task<Payment?> GetAsync(string paymentId, CancellationToken cancellationToken)
        {
            if (harness.BeforeRead is { } before)
            {
                await before();
            }

            var payment = await Inner.GetAsync(paymentId, cancellationToken);
            if (harness.AfterRead is { } after)
            {
                await after();
            }

            return payment;
        }
    }
}

/// <summary>One watching stream read step by step, every wait bounded.</summary>
internal sealed class Watcher(IAsyncEnumerable<PaymentSnapshot> stream) : IAsyncDisposable
{
    private readonly IAsyncEnumerator<PaymentSnapshot> _enumerator = stream.GetAsyncEnumerator();

    /// <summary>Starts waiting for the next item without awaiting it.</summary>
    public Task<bool> MoveNext() => _enumerator.MoveNextAsync().AsTask();

    public async Task<PaymentSnapshot> NextAsync()
    {
        Assert.True(await MoveNext().WaitAsync(WatchHarness.Timeout, WatchHarness.Ct), "the stream ended");
        return _enumerator.Current;
    }

    public PaymentSnapshot Current => _enumerator.Current;

    public async Task EndedAsync() =>
        Assert.False(await MoveNext().WaitAsync(WatchHarness.Timeout, WatchHarness.Ct), "the stream did not end");

    public ValueTask DisposeAsync() => _enumerator.DisposeAsync();
}
