using Bakong.Payments.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Payments.Tests.Storage;

/// <summary>The store contract on the embedded LiteDB store, a file of its own per test.</summary>
public sealed class LiteDbPaymentStoreContractTests : PaymentStoreContract
{
    private readonly TempDirectory _dir = new();
    private readonly FaultyFiles _files = new();
    private readonly FakeTimeProvider _time = new(TestPayments.Start);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }

    protected override Task<IPaymentStore> OpenAsync() =>
        Task.FromResult<IPaymentStore>(new LiteDbPaymentStore(_dir.File("bakong.db"), logger: null, _time, _files.Open));

    protected override Task FailCommitsAsync(bool fail)
    {
        _files.Full = fail;
        if (!fail)
        {
            // The store opens its engine again after an I/O fault, at most once per ReopenInterval.
            _time.Advance(LiteDbPaymentStore.ReopenInterval);
        }

        return Task.CompletedTask;
    }
}
