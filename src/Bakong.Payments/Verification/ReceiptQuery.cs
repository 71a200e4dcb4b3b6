using System.Buffers;

namespace Bakong.Payments.Verification;

/// <summary>
/// What a cashier typed from a customer's banking-app receipt, checked: one of the three lookups Bakong offers. The
/// factories are the one place for their rules; a value that passes is safe to send to Bakong, to store and to log.
/// </summary>
public abstract record ReceiptQuery
{
    /// <summary>Characters of a full transaction hash.</summary>
    public const int HashLength = 64;

    /// <summary>Characters of a short hash: the first 8 of the full hash, as receipts show it.</summary>
    public const int ShortHashLength = 8;

    private static readonly SearchValues<char> s_hex = SearchValues.Create("0123456789abcdefABCDEF");

    private ReceiptQuery()
    {
    }

    /// <summary>Bakong's <c>check_transaction_by_hash</c>: the full hash, lower case.</summary>
    public sealed record ByHash(string Hash) : ReceiptQuery;

    /// <summary>Bakong's <c>check_transaction_by_short_hash</c>: 8 hex digits (lower case) with the amount and currency.</summary>
    public sealed record ByShortHash(string ShortHash, Money Amount) : ReceiptQuery;

    /// <summary>Bakong's <c>check_transaction_by_external_ref</c>: the paying bank's reference (<c>100FT35340355905</c>).</summary>
    public sealed record ByExternalRef(string ExternalRef) : ReceiptQuery;

    /// <summary>The full hash, or the violation naming <see cref="VerifyFields.Hash"/>.</summary>
    public static ReceiptQuery? ForHash(string? hash, List<FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        return CheckHex(hash, VerifyFields.Hash, HashLength, violations) is { } valid ? new ByHash(valid) : null;
    }

    /// <summary>
    /// The short hash with the money the receipt shows. The money follows <see cref="Money"/>'s rule (KHR whole riel,
    /// USD whole cents, positive) but no payment ceiling: a receipt shows what was paid, whatever this gateway allows.
    /// </summary>
    public static ReceiptQuery? ForShortHash(string? shortHash, string? currency, decimal amount, List<FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        var hash = CheckHex(shortHash, VerifyFields.ShortHash, ShortHashLength, violations);
        if (!Money.TryCreate(currency, amount, out var money, out var violation))
        {
            violations.Add(violation!.Field == Creation.CreatePaymentFields.Currency
                ? violation with { Field = VerifyFields.ShortHashCurrency }
                : violation with { Field = VerifyFields.ShortHashAmount });
            return null;
        }

        return hash is null ? null : new ByShortHash(hash, money);
    }

    /// <summary>
    /// The external reference: Bakong documents no format; the ones banks issue are short and alphanumeric, so the
    /// identifier rule (at most <see cref="PaymentLimits.ExternalRef"/> characters of <see cref="Identifier.Alphabet"/>)
    /// takes every real one and nothing that could not be logged.
    /// </summary>
    public static ReceiptQuery? ForExternalRef(string? externalRef, List<FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        if (Identifier.Check(externalRef, VerifyFields.ExternalRef, PaymentLimits.ExternalRef) is { } violation)
        {
            violations.Add(violation);
            return null;
        }

        return new ByExternalRef(externalRef!);
    }

    // Never echoes the value: says what is wrong with it.
    private static string? CheckHex(string? value, string field, int length, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(value))
        {
            violations.Add(new FieldViolation(field, "required"));
            return null;
        }

        if (value.Length != length)
        {
            violations.Add(new FieldViolation(field, $"must be exactly {length} hex digits, got {value.Length} characters"));
            return null;
        }

        if (value.AsSpan().ContainsAnyExcept(s_hex))
        {
            violations.Add(new FieldViolation(field, "only hex digits 0-9 a-f are allowed"));
            return null;
        }

        return value.ToLowerInvariant();
    }
}

/// <summary>The names violations give to the fields of a verification, as <c>VerifyTransactionRequest</c> in payment_service.proto names them.</summary>
public static class VerifyFields
{
    public const string Hash = "hash";
    public const string ShortHash = "short_hash.hash";
    public const string ShortHashAmount = "short_hash.amount";
    public const string ShortHashCurrency = "short_hash.currency";
    public const string ExternalRef = "external_ref";
    public const string TerminalId = "terminal_id";
}
