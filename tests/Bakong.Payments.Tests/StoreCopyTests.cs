using Bakong.Payments.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Payments.Tests;

/// <summary><see cref="LiteDbPaymentStore.CopyTo"/>: a backup's copy of the store, taken while writes go on.</summary>
public sealed class StoreCopyTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly TempDirectory _copies = new();
    private readonly FakeTimeProvider _time = new(TestPayments.Start);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _dir.Dispose();
        _copies.Dispose();
    }

    [Fact]
    public async Task Writes_during_a_copy_are_answered_and_the_copy_holds_exactly_what_was_written_before_it_began()
    {
        using var store = new LiteDbPaymentStore(_dir.File("bakong.db"), logger: null, _time, openFile: null);
        var a = TestPayments.New();
        var b = TestPayments.New();
        await store.InsertIfAbsentAsync(a, Ct);
        await store.InsertIfAbsentAsync(b, Ct);
        var c = TestPayments.New();
        store.CopyStarting = () =>
        {
            // The writer is free while the file is copied, and a checkpoint is due: it must wait for the copy.
            _time.Advance(LiteDbPaymentStore.CheckpointInterval * 2);
            store.InsertIfAbsentAsync(c, Ct).WaitAsync(s_timeout, Ct).GetAwaiter().GetResult();
            var stored = store.GetAsync(a.Id, Ct).GetAwaiter().GetResult()!;
            stored.Cancel(TestPayments.Start.AddSeconds(5));
            Assert.Equal(SaveResult.Saved, store.SaveAsync(stored, Ct).WaitAsync(s_timeout, Ct).GetAwaiter().GetResult());
        };

        var copy = _copies.File("bakong.db");
        store.CopyTo(copy);

        using var restored = new LiteDbPaymentStore(copy);
        Assert.Equal(PaymentState.Pending, (await restored.GetAsync(a.Id, Ct))?.State);
        Assert.NotNull(await restored.GetAsync(b.Id, Ct));
        Assert.Null(await restored.GetAsync(c.Id, Ct));
        Assert.Equal(2, (await restored.CountByStateAsync(Ct))[PaymentState.Pending]);
        Assert.Equal(PaymentState.Cancelled, (await store.GetAsync(a.Id, Ct))?.State);
        Assert.NotNull(await store.GetAsync(c.Id, Ct));
    }
}
