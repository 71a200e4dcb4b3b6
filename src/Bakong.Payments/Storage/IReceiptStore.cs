namespace Bakong.Payments.Storage;

/// <summary>
/// What receipt verification needs from the payment store, apart from <see cref="IPaymentStore"/> so that each store
/// implements it beside the payments: which payment a Bakong transaction settled, and every verification made.
/// </summary>
public interface IReceiptStore
{
    /// <summary>The payment whose settling transaction (<see cref="Payment.Transaction"/>) has this hash (any case), or null.</summary>
    Task<Payment?> FindByTransactionHashAsync(string hash, CancellationToken cancellationToken);

    /// <summary>
    /// Records <paramref name="verification"/> durably (before it returns) and returns the earliest verification of the
    /// same hash recorded before it, or null when this is the first. Atomic: of two concurrent first verifications of
    /// one hash, exactly one sees null.
    /// </summary>
    Task<ReceiptVerificationRecord?> RecordVerificationAsync(ReceiptVerificationRecord verification, CancellationToken cancellationToken);
}

/// <summary>
/// One successful verification of a receipt: the transaction's full hash (lower case), when, by which client (its id,
/// <c>-</c> on a gateway without keys) and at which terminal (empty when the caller named none).
/// </summary>
public sealed record ReceiptVerificationRecord(string Hash, DateTimeOffset VerifyTime, string ClientId, string TerminalId);
