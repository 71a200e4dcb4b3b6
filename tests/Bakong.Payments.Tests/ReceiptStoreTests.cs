using Bakong.Payments.Storage;

namespace Bakong.Payments.Tests;

/// <summary>The LiteDB store's <see cref="IReceiptStore"/>: payments by their transaction's hash, and verifications recorded durably in order.</summary>
public sealed class ReceiptStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private LiteDbPaymentStore _store;

    public ReceiptStoreTests() => _store = new LiteDbPaymentStore(_dir.File("bakong.db"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_paid_payment_is_found_by_its_transaction_hash_in_any_case_and_an_unpaid_one_is_not()
    {
        var paid = TestPayments.New(requestId: "paid");
        var pending = TestPayments.New(requestId: "pending");
        await _store.InsertIfAbsentAsync(paid, Ct);
        await _store.InsertIfAbsentAsync(pending, Ct);
        paid.Settle(TestPayments.Transaction(hash: "abcdef0123"), TestPayments.Start.AddSeconds(3));
        Assert.Equal(SaveResult.Saved, await _store.SaveAsync(paid, Ct));

        Assert.Equal(paid.Id, (await _store.FindByTransactionHashAsync("ABCDEF0123", Ct))?.Id);
        Assert.Null(await _store.FindByTransactionHashAsync("abcdef0124", Ct));
    }

    [Fact]
    public async Task Each_verification_answers_the_first_of_its_hash_also_after_the_store_is_opened_again()
    {
        var first = new ReceiptVerificationRecord("AB12", TestPayments.Start, "client-1", "till-1");

        var none = await _store.RecordVerificationAsync(first, Ct);
        var second = await _store.RecordVerificationAsync(first with { VerifyTime = TestPayments.Start.AddMinutes(1), TerminalId = "till-2" }, Ct);
        var other = await _store.RecordVerificationAsync(first with { Hash = "cd34" }, Ct);
        _store.Dispose();
        _store = new LiteDbPaymentStore(_dir.File("bakong.db"));
        var third = await _store.RecordVerificationAsync(first with { VerifyTime = TestPayments.Start.AddMinutes(2), ClientId = "client-2" }, Ct);

        Assert.Null(none);
        Assert.Null(other);
        var recorded = first with { Hash = "ab12" };
        Assert.Equal(recorded, second);
        Assert.Equal(recorded, third);
    }
}
