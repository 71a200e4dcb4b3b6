namespace Bakong.OpenApi.Client;

/// <summary>
/// The authenticated Bakong Open API (<c>Authorization: Bearer</c> from <see cref="IBakongTokenSource"/>).
/// Every method returns Bakong's answer or a <see cref="BakongFault"/>; none throws for HTTP trouble. Cancelling
/// <c>cancellationToken</c> throws <see cref="OperationCanceledException"/>.
/// </summary>
public interface IBakongClient
{
    /// <summary><c>/v1/check_transaction_by_md5</c>: md5 of the exact QR string (dynamic QRs only).</summary>
    Task<BakongResult<TransactionCheck>> CheckTransactionByMd5Async(string md5, CancellationToken cancellationToken);

    /// <summary>
    /// <c>/v1/check_transaction_by_md5_list</c> in chunks of 50, merged; falls back to single checks while the list
    /// endpoint is refused. One entry per distinct md5 (case-insensitive keys).
    /// </summary>
    Task<IReadOnlyDictionary<string, BakongResult<TransactionCheck>>> CheckTransactionsByMd5Async(
        IEnumerable<string> md5s, CancellationToken cancellationToken);

    /// <summary><c>/v1/check_transaction_by_hash</c>: the full 64-hex transaction hash.</summary>
    Task<BakongResult<TransactionCheck>> CheckTransactionByHashAsync(string hash, CancellationToken cancellationToken);

    /// <summary><c>/v1/check_transaction_by_short_hash</c>: first 8 hash characters plus amount and currency.</summary>
    Task<BakongResult<TransactionCheck>> CheckTransactionByShortHashAsync(
        string shortHash, decimal amount, string currency, CancellationToken cancellationToken);

    /// <summary><c>/v1/check_transaction_by_hash_list</c> in chunks of 50, merged.</summary>
    Task<IReadOnlyDictionary<string, BakongResult<TransactionCheck>>> CheckTransactionsByHashAsync(
        IEnumerable<string> hashes, CancellationToken cancellationToken);

    /// <summary><c>/v1/check_transaction_by_instruction_ref</c>.</summary>
    Task<BakongResult<TransactionCheck>> CheckTransactionByInstructionRefAsync(string instructionRef, CancellationToken cancellationToken);

    /// <summary><c>/v1/check_transaction_by_external_ref</c>.</summary>
    Task<BakongResult<TransactionCheck>> CheckTransactionByExternalRefAsync(string externalRef, CancellationToken cancellationToken);

    /// <summary><c>/v1/generate_deeplink_by_qr</c>: a short link that opens the QR in Bakong-enabled apps.</summary>
    Task<BakongResult<Uri>> GenerateDeeplinkAsync(string qr, DeeplinkSourceInfo? sourceInfo, CancellationToken cancellationToken);

    /// <summary><c>/v1/check_bakong_account</c>. Account-not-found and invalid IDs are answers, not errors.</summary>
    Task<BakongResult<BakongAccountCheck>> CheckBakongAccountAsync(string accountId, CancellationToken cancellationToken);
}
