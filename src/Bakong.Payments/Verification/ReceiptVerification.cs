using Bakong.OpenApi.Client;
using Bakong.Payments.Configuration;
using Bakong.Payments.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Verification;

/// <summary>
/// The <c>VerifyTransaction</c> use case: a customer shows a banking-app receipt and the cashier asks Bakong about it.
/// The answer says whether the money went to this merchant, and whether the transaction is already linked to a
/// payment or to an earlier verification (the same receipt shown twice is the common fraud). Every transaction found
/// is recorded, so the next verification of it is flagged.
/// </summary>
public sealed class ReceiptVerification
{
    private readonly IBakongClient _bakong;
    private readonly IReceiptStore _store;
    private readonly IOptions<MerchantProfiles> _profiles;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public ReceiptVerification(
        IBakongClient bakong, IReceiptStore store, IOptions<MerchantProfiles> profiles, TimeProvider timeProvider, ILogger<ReceiptVerification> logger)
    {
        ArgumentNullException.ThrowIfNull(bakong);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _bakong = bakong;
        _store = store;
        _profiles = profiles;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>
    /// Whether <paramref name="transaction"/> paid this gateway's merchant: its receiver is one of the merchant
    /// profiles' accounts (<see cref="MerchantProfiles.IsOurAccount"/>, compared as the settlement compares it).
    /// </summary>
    public bool PaysThisMerchant(BakongTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return _profiles.Value.IsOurAccount(transaction.ToAccountId);
    }

    /// <param name="query">The receipt, checked by <see cref="ReceiptQuery"/>'s factories.</param>
    /// <param name="clientId">Who asks (recorded): the client id, <c>-</c> without keys.</param>
    /// <param name="terminalId">Where the receipt is shown (recorded): a checked terminal id, or empty.</param>
    /// <param name="cancellationToken">Cancels the call to Bakong and the store.</param>
    public async Task<VerifyOutcome> VerifyAsync(ReceiptQuery query, string clientId, string terminalId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(terminalId);
        var answer = await AskBakongAsync(query, cancellationToken).ConfigureAwait(false);
        if (answer.Value is not TransactionCheck.Paid { Transaction: var found })
        {
            return NotVerified(query, terminalId, answer);
        }

        var linked = await _store.FindByTransactionHashAsync(found.Hash, cancellationToken).ConfigureAwait(false);
        var record = new ReceiptVerificationRecord(found.Hash.ToLowerInvariant(), _timeProvider.GetUtcNow(), clientId, terminalId);
        var first = await _store.RecordVerificationAsync(record, cancellationToken).ConfigureAwait(false);
        var paysMerchant = PaysThisMerchant(found);
        VerificationLog.Found(_logger, found.Hash, terminalId, clientId, paysMerchant, linked?.Id ?? "-", first is not null);
        return new VerifyOutcome.Found(found, paysMerchant, linked, first);
    }

    private VerifyOutcome NotVerified(ReceiptQuery query, string terminalId, BakongResult<TransactionCheck> answer)
    {
        var kind = Kind(query);
        switch (answer.Value)
        {
            case TransactionCheck.NotFound:
                VerificationLog.NotFound(_logger, kind, terminalId);
                return new VerifyOutcome.NotFound();
            case TransactionCheck.Failed:
                VerificationLog.NotFound(_logger, kind, terminalId);
                return new VerifyOutcome.TransactionFailed();
            default:
                // A fault (Bakong down, a timeout, the token refused) or an error code a lookup should never get.
                var reason = answer.Fault?.Kind.ToString() ?? "BakongError";
                var detail = answer.Failure ?? reason;
                VerificationLog.BakongUnavailable(_logger, kind, detail);
                return new VerifyOutcome.BakongUnavailable(reason, detail);
        }
    }

    private Task<BakongResult<TransactionCheck>> AskBakongAsync(ReceiptQuery query, CancellationToken cancellationToken) => query switch
    {
        ReceiptQuery.ByHash byHash => _bakong.CheckTransactionByHashAsync(byHash.Hash, cancellationToken),
        ReceiptQuery.ByShortHash byShortHash => _bakong.CheckTransactionByShortHashAsync(
            byShortHash.ShortHash, byShortHash.Amount.Amount, byShortHash.Amount.CurrencyCode, cancellationToken),
        ReceiptQuery.ByExternalRef byRef => _bakong.CheckTransactionByExternalRefAsync(byRef.ExternalRef, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(query), query, "Unknown receipt query."),
    };

    private static string Kind(ReceiptQuery query) => query switch
    {
        ReceiptQuery.ByHash => "hash",
        ReceiptQuery.ByShortHash => "short hash",
        _ => "external ref",
    };
}

/// <summary>What Bakong said about a receipt, and what the gateway knows of the transaction.</summary>
public abstract record VerifyOutcome
{
    private VerifyOutcome()
    {
    }

    /// <summary>
    /// Bakong has the transaction. <paramref name="LinkedPayment"/>: the payment it settled, if any;
    /// <paramref name="FirstVerification"/>: the first earlier verification of it, if any (this one is recorded).
    /// </summary>
    public sealed record Found(
        BakongTransaction Transaction, bool PaysThisMerchant, Payment? LinkedPayment, ReceiptVerificationRecord? FirstVerification) : VerifyOutcome;

    /// <summary>Bakong does not know the transaction (for a short hash: not with this amount and currency).</summary>
    public sealed record NotFound : VerifyOutcome;

    /// <summary>Bakong knows the transaction and says it failed (errorCode 3): no money moved.</summary>
    public sealed record TransactionFailed : VerifyOutcome;

    /// <summary>No usable answer from Bakong: <paramref name="Reason"/> is the fault's kind (<c>Timeout</c>), <paramref name="Detail"/> a line for people.</summary>
    public sealed record BakongUnavailable(string Reason, string Detail) : VerifyOutcome;
}
