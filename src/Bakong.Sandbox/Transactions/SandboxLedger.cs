using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bakong.Sandbox.Accounts;
using Microsoft.Extensions.Logging;

namespace Bakong.Sandbox.Transactions;

/// <summary>
/// What Bakong knows about money: the QRs registered, and the payments and failures the control API made, with the
/// lookups the check endpoints answer from. A lookup answers one <see cref="SandboxPayment"/> through
/// <see cref="Answer"/>, so a new way to find a transaction is an index or a match, not a new rule.
/// </summary>
/// <remarks>
/// One lock guards the QRs and the payments: paying a QR payload registers it and records its payment in one step, so
/// a check sees neither or both, and of two payments of one md5 exactly one wins. Receivers become known accounts
/// before that lock is released (the accounts' lock is a leaf), so whoever finds a QR or payment also finds its
/// receiver with <c>check_bakong_account</c>.
/// </remarks>
internal sealed class SandboxLedger(
    SandboxOptions options, SandboxAccounts accounts, SandboxRandom random, TimeProvider timeProvider, ILogger logger)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SandboxQr> _qrs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SandboxPayment> _byMd5 = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SandboxPayment> _byHash = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<SandboxPayment> _payments = [];

    /// <summary>Payments and failures, oldest first.</summary>
    public IReadOnlyList<SandboxPayment> Payments
    {
        get
        {
            lock (_lock)
            {
                return [.. _payments];
            }
        }
    }

    /// <summary>Decodes a KHQR and remembers it by md5.</summary>
    /// <exception cref="ArgumentException">The payload is not a KHQR with a receiving account.</exception>
    public SandboxQr RegisterQr(string qr)
    {
        var known = SandboxQrDecoder.Decode(qr);
        lock (_lock)
        {
            RegisterLocked(known);
        }

        SandboxLog.QrRegistered(logger, known.Md5, known.IsStatic);
        return known;
    }

    /// <summary>The customer pays; see <see cref="SandboxPayRequest"/>.</summary>
    /// <exception cref="ArgumentException">The request is incomplete or invalid.</exception>
    /// <exception cref="InvalidOperationException">The md5 is paid or failed already, or the QR has expired.</exception>
    public SandboxPayment Pay(SandboxPayRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decoded = request.Qr is null ? null : SandboxQrDecoder.Decode(request.Qr);
        var payment = Record(request.Md5, decoded, request.DelayMs, request.Force, SandboxPaymentStatus.Paid, known =>
        {
            var amount = request.Amount ?? known?.Amount
                ?? throw new ArgumentException("amount is required: the QR has none (static) or the md5 is not registered");
            if (amount <= 0)
            {
                throw new ArgumentException("amount must be positive");
            }

            var currency = SandboxQrDecoder.NormalizeCurrency(request.Currency) ?? known?.Currency ?? "KHR";
            var toAccount = request.ToAccountId ?? known?.ToAccountId
                ?? throw new ArgumentException("toAccountId is required when the md5 is not registered");
            return (amount, currency, toAccount);
        }, request);

        SandboxLog.Paid(logger, payment.Md5, payment.Transaction.Amount, payment.Transaction.Currency, payment.Transaction.ToAccountId, payment.VisibleAtMs);
        return payment;
    }

    /// <summary>The customer's payment fails: md5 checks answer errorCode 3 from then on.</summary>
    /// <exception cref="ArgumentException">The request is incomplete or invalid.</exception>
    /// <exception cref="InvalidOperationException">The md5 is paid or failed already.</exception>
    public SandboxPayment Fail(SandboxFailRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decoded = request.Qr is null ? null : SandboxQrDecoder.Decode(request.Qr);
        var payment = Record(request.Md5, decoded, request.DelayMs, force: true, SandboxPaymentStatus.Failed, known =>
            (known?.Amount ?? 0m, known?.Currency ?? "KHR", known?.ToAccountId ?? string.Empty), details: null);
        SandboxLog.Failed(logger, payment.Md5);
        return payment;
    }

    /// <summary>
    /// A transfer between two accounts with no QR, as a banking app's "send money" makes one: the merchant's refund to a
    /// payer. Found by hash (and short hash, refs) like any transaction; it has no md5 (<see cref="SandboxPayment.Md5"/>
    /// is empty), so no md5 check ever answers it.
    /// </summary>
    /// <exception cref="ArgumentException">The request is incomplete or invalid.</exception>
    public SandboxPayment Transfer(SandboxTransferRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var from = Required(request.FromAccountId, "fromAccountId");
        var to = Required(request.ToAccountId, "toAccountId");
        var amount = request.Amount ?? throw new ArgumentException("amount is required");
        if (amount <= 0)
        {
            throw new ArgumentException("amount must be positive");
        }

        var currency = SandboxQrDecoder.NormalizeCurrency(request.Currency) ?? throw new ArgumentException("currency must be USD or KHR");
        if (request.DelayMs is < 0)
        {
            throw new ArgumentException("delayMs must not be negative");
        }

        SandboxPayment payment;
        lock (_lock)
        {
            var now = NowMs();
            var acknowledged = now + (request.DelayMs ?? 0);
            var transaction = new SandboxTransaction(
                Hash: NewHash(from + ">" + to),
                FromAccountId: from,
                ToAccountId: to,
                Currency: currency,
                Amount: amount,
                Description: request.Description,
                CreatedDateMs: now,
                AcknowledgedDateMs: acknowledged,
                TrackingStatus: null,
                ReceiverBank: null,
                ReceiverBankAccount: null,
                InstructionRef: null,
                ExternalRef: NewExternalRef());
            payment = new SandboxPayment(string.Empty, SandboxPaymentStatus.Paid, IsStaticQr: false, acknowledged, transaction, Qr: null);
            _byHash[transaction.Hash] = payment;
            _payments.Add(payment);
            accounts.Remember(to);
        }

        SandboxLog.Transferred(logger, payment.Transaction.Hash, amount, currency, from, to);
        return payment;
    }

    /// <summary>Forgets every QR and payment.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _qrs.Clear();
            _byMd5.Clear();
            _byHash.Clear();
            _payments.Clear();
        }
    }

    /// <summary>
    /// <c>check_transaction_by_md5</c>: a static QR is refused (errorCode 2) whether paid or not, unless its payment
    /// failed (errorCode 3).
    /// </summary>
    public LedgerLookup FindByMd5(string md5)
    {
        lock (_lock)
        {
            if (_byMd5.TryGetValue(md5, out var payment) && payment.VisibleAtMs <= NowMs())
            {
                return payment.Status == SandboxPaymentStatus.Failed ? new(LookupStatus.Failed, null)
                    : payment.IsStaticQr ? new(LookupStatus.StaticQr, null)
                    : new(LookupStatus.Success, payment.Transaction);
            }

            return _qrs.TryGetValue(md5, out var known) && known.IsStatic ? new(LookupStatus.StaticQr, null) : LedgerLookup.NotFound;
        }
    }

    /// <summary><c>check_transaction_by_hash</c>: the full 64-character hash.</summary>
    public LedgerLookup FindByHash(string hash)
    {
        lock (_lock)
        {
            return _byHash.TryGetValue(hash, out var payment) ? Answer(payment) : LedgerLookup.NotFound;
        }
    }

    /// <summary><c>check_transaction_by_short_hash</c>: the hash's first 8 characters, with the amount and currency.</summary>
    public LedgerLookup FindByShortHash(string shortHash, decimal amount, string currency) => Latest(t =>
        t.Hash.StartsWith(shortHash, StringComparison.OrdinalIgnoreCase)
        && t.Amount == amount
        && string.Equals(t.Currency, currency, StringComparison.OrdinalIgnoreCase));

    /// <summary><c>check_transaction_by_instruction_ref</c>.</summary>
    public LedgerLookup FindByInstructionRef(string instructionRef) =>
        Latest(t => string.Equals(t.InstructionRef, instructionRef, StringComparison.Ordinal));

    /// <summary><c>check_transaction_by_external_ref</c>.</summary>
    public LedgerLookup FindByExternalRef(string externalRef) =>
        Latest(t => string.Equals(t.ExternalRef, externalRef, StringComparison.Ordinal));

    // The latest payment that matches, as Bakong would answer it; an earlier match does not count even when the
    // latest is not visible yet.
    private LedgerLookup Latest(Predicate<SandboxTransaction> match)
    {
        lock (_lock)
        {
            var payment = _payments.FindLast(p => match(p.Transaction));
            return payment is null ? LedgerLookup.NotFound : Answer(payment);
        }
    }

    // Called under the lock: not found until Bakong acknowledges it (delayMs), then failed (errorCode 3) or found.
    private LedgerLookup Answer(SandboxPayment payment) =>
        payment.VisibleAtMs > NowMs() ? LedgerLookup.NotFound
        : payment.Status == SandboxPaymentStatus.Failed ? new(LookupStatus.Failed, null)
        : new(LookupStatus.Success, payment.Transaction);

    private SandboxPayment Record(
        string? md5,
        SandboxQr? decoded,
        long? delayMs,
        bool force,
        SandboxPaymentStatus status,
        Func<SandboxQr?, (decimal Amount, string Currency, string ToAccount)> terms,
        SandboxPayRequest? details)
    {
        if (decoded is null && string.IsNullOrWhiteSpace(md5))
        {
            throw new ArgumentException("md5 or qr is required");
        }

        if (decoded is not null && md5 is not null && !string.Equals(md5, decoded.Md5, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("md5 does not match the md5 of qr");
        }

        if (delayMs is < 0)
        {
            throw new ArgumentException("delayMs must not be negative");
        }

        if (details?.Currency is { } currency && SandboxQrDecoder.NormalizeCurrency(currency) is null)
        {
            throw new ArgumentException("currency must be USD or KHR");
        }

        lock (_lock)
        {
            // A payload given here is registered even when paying it is then refused, as control/qrs would.
            var key = decoded?.Md5 ?? md5!;
            if (decoded is not null)
            {
                RegisterLocked(decoded);
            }

            var known = decoded ?? _qrs.GetValueOrDefault(key);
            if (_byMd5.TryGetValue(key, out var existing))
            {
                throw new InvalidOperationException($"md5 {key} is {existing.Status.ToString().ToUpperInvariant()} already");
            }

            var now = NowMs();
            if (!force && known?.ExpiresAtMs is { } expires && expires < now)
            {
                throw new InvalidOperationException("the QR expired; a bank app would refuse it (force: true pays anyway)");
            }

            var (amount, txCurrency, toAccount) = terms(known);
            var acknowledged = now + (delayMs ?? 0);
            var transaction = new SandboxTransaction(
                Hash: NewHash(key),
                FromAccountId: details?.FromAccountId ?? options.DefaultFromAccountId,
                ToAccountId: toAccount,
                Currency: txCurrency,
                Amount: amount,
                Description: details?.Description,
                CreatedDateMs: now,
                AcknowledgedDateMs: acknowledged,
                TrackingStatus: details?.TrackingStatus,
                ReceiverBank: details?.ReceiverBank,
                ReceiverBankAccount: details?.ReceiverBankAccount,
                InstructionRef: details?.InstructionRef,
                ExternalRef: details?.ExternalRef ?? NewExternalRef());
            var payment = new SandboxPayment(key, status, known?.IsStatic ?? false, acknowledged, transaction, known?.Qr);
            _byMd5[key] = payment;
            _byHash[transaction.Hash] = payment;
            _payments.Add(payment);
            accounts.Remember(toAccount);
            return payment;
        }
    }

    private static string Required(string? value, string name) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException(name + " is required") : value;

    private void RegisterLocked(SandboxQr qr)
    {
        _qrs[qr.Md5] = qr;
        if (qr.ToAccountId is { } account)
        {
            accounts.Remember(account);
        }
    }

    private string NewHash(string md5)
    {
        var seed = md5 + ":" + random.Draw(static r => r.NextInt64()).ToString(CultureInfo.InvariantCulture);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));
    }

    private string NewExternalRef() =>
        "100FT" + random.Draw(static r => r.NextInt64(10_000_000_000, 100_000_000_000)).ToString(CultureInfo.InvariantCulture);

    private long NowMs() => timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
}

/// <summary>How a check endpoint answers a lookup.</summary>
internal enum LookupStatus
{
    Success,
    NotFound,
    StaticQr,
    Failed,
}

/// <summary>A lookup's answer: the transaction only when <see cref="Status"/> is <see cref="LookupStatus.Success"/>.</summary>
internal readonly record struct LedgerLookup(LookupStatus Status, SandboxTransaction? Transaction)
{
    public static LedgerLookup NotFound => new(LookupStatus.NotFound, null);
}
