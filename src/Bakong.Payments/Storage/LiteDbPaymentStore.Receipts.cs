using System.Diagnostics;
using LiteDB;

namespace Bakong.Payments.Storage;

/// <summary>
/// <see cref="IReceiptStore"/> in the payment file: an index of the payments by their settling transaction's hash,
/// and the <c>receipt_verifications</c> collection, written by the store's one writer like every payment change.
/// </summary>
public sealed partial class LiteDbPaymentStore : IReceiptStore
{
    private const string ReceiptsCollectionName = "receipt_verifications";
    private const string TransactionHashIndex = "transaction_hash";

    // The settled transaction's hash in lower case (PaymentDocument.TransactionHashKeys): a sparse index, only paid payments have a key.
    private const string TransactionHashKey = "$." + PaymentDocument.TransactionHashKeys + "[*]";

    public Task<Payment?> FindByTransactionHashAsync(string hash, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        cancellationToken.ThrowIfCancellationRequested();
        var key = hash.ToLowerInvariant();
        return Task.FromResult(Read(e =>
            e.Payments.FindOne(BsonExpression.Create(TransactionHashKey + " ANY = @0", key)) is { } doc ? ReadPayment(doc) : null));
    }

    public Task<ReceiptVerificationRecord?> RecordVerificationAsync(ReceiptVerificationRecord verification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verification);
        cancellationToken.ThrowIfCancellationRequested();
        return Enqueue(new ReceiptOp(verification with { Hash = verification.Hash.ToLowerInvariant() })).Task;
    }

    private static void PrepareReceipts(Engine engine) => Receipts(engine).EnsureIndex(ReceiptField.Hash);

    private static ILiteCollection<BsonDocument> Receipts(Engine engine) => engine.Database.GetCollection(ReceiptsCollectionName, BsonAutoId.Int64);

    private static ReceiptVerificationRecord ReadReceipt(BsonDocument doc) => new(
        doc[ReceiptField.Hash].AsString,
        new DateTimeOffset(doc[ReceiptField.VerifyTime].AsInt64, TimeSpan.Zero),
        doc[ReceiptField.ClientId].AsString,
        doc[ReceiptField.TerminalId].AsString);

    private static class ReceiptField
    {
        public const string Hash = "hash";
        public const string VerifyTime = "verify_time";
        public const string ClientId = "client_id";
        public const string TerminalId = "terminal_id";
    }

    /// <summary>Finds the first verification of the hash and adds this one, in the batch's transaction: the writer orders them.</summary>
    private sealed class ReceiptOp(ReceiptVerificationRecord verification) : WriteOp<ReceiptVerificationRecord?>
    {
        public override bool Apply(Engine engine, CountChanges counts)
        {
            var receipts = Receipts(engine);

            // The one writer records them in order and the ids count up (Int64 auto ids): the smallest is the first.
            Result = receipts.Query()
                .Where(BsonExpression.Create("$." + ReceiptField.Hash + " = @0", verification.Hash))
                .OrderBy("_id")
                .Limit(1)
                .ToEnumerable()
                .Select(ReadReceipt)
                .FirstOrDefault();
            receipts.Insert(new BsonDocument
            {
                [ReceiptField.Hash] = verification.Hash,
                [ReceiptField.VerifyTime] = verification.VerifyTime.UtcTicks,
                [ReceiptField.ClientId] = verification.ClientId,
                [ReceiptField.TerminalId] = verification.TerminalId,
            });
            return true;
        }

        public override bool Apply(ILiteCollection<BsonDocument> payments, CountChanges counts) =>
            throw new UnreachableException("A receipt is written with the engine, not the payments collection.");
    }
}
