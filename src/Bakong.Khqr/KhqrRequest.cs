namespace Bakong.Khqr;

/// <summary>
/// What to put in a KHQR. Field names follow the official SDK's (<c>IndividualInfo</c>/<c>MerchantInfo</c>) so the
/// SDK's documentation applies as written; <see langword="null"/> or empty optional fields are left out, as the SDK
/// does. Text lengths count UTF-16 code units, as the SDK does.
/// </summary>
public sealed record KhqrRequest
{
    /// <summary>Tag 29 (individual) or tag 30 (merchant).</summary>
    public KhqrMerchantType Type { get; init; }

    /// <summary>Receiving Bakong account, <c>name@bank</c>; at most 32 characters.</summary>
    public string? BakongAccountId { get; init; }

    /// <summary>Tag 59; at most 25 characters.</summary>
    public string? MerchantName { get; init; }

    /// <summary>Tag 60; at most 15 characters; empty means "Phnom Penh".</summary>
    public string? MerchantCity { get; init; }

    /// <summary>Merchant QR only (tag 30, sub-tag 01), required; at most 32 characters.</summary>
    public string? MerchantId { get; init; }

    /// <summary>Required for a merchant QR, optional for an individual one (sub-tag 02); at most 32 characters.</summary>
    public string? AcquiringBank { get; init; }

    /// <summary>Individual QR only (tag 29, sub-tag 01): phone or account number; at most 32 characters.</summary>
    public string? AccountInformation { get; init; }

    /// <summary>Tag 53. Defaults to riel, as in the SDK.</summary>
    public KhqrCurrency Currency { get; init; } = KhqrCurrency.Khr;

    /// <summary>Tag 54. <see langword="null"/> or zero makes a static QR; otherwise the QR is dynamic and needs <see cref="ExpirationTimestamp"/>.</summary>
    public decimal? Amount { get; init; }

    /// <summary>Tag 62 sub-tag 01: the transaction id; at most 25 characters.</summary>
    public string? BillNumber { get; init; }

    /// <summary>Tag 62 sub-tag 02; at most 25 characters.</summary>
    public string? MobileNumber { get; init; }

    /// <summary>Tag 62 sub-tag 03; at most 25 characters.</summary>
    public string? StoreLabel { get; init; }

    /// <summary>Tag 62 sub-tag 07; at most 25 characters.</summary>
    public string? TerminalLabel { get; init; }

    /// <summary>Tag 62 sub-tag 08; at most 25 characters.</summary>
    public string? PurposeOfTransaction { get; init; }

    /// <summary>Tag 64 sub-tag 00, e.g. <c>km</c>; at most 2 characters; required with an alternate-language name.</summary>
    public string? LanguagePreference { get; init; }

    /// <summary>Tag 64 sub-tag 01; at most 25 characters.</summary>
    public string? MerchantNameAlternateLanguage { get; init; }

    /// <summary>Tag 64 sub-tag 02; at most 15 characters.</summary>
    public string? MerchantCityAlternateLanguage { get; init; }

    /// <summary>Tag 15; at most 99 characters; riel only.</summary>
    public string? UpiMerchantAccount { get; init; }

    /// <summary>Tag 99 sub-tag 01 for a dynamic QR: Unix time in milliseconds (13 digits), not before now.</summary>
    public long? ExpirationTimestamp { get; init; }

    /// <summary>Tag 52: up to four digits; defaults to 5999.</summary>
    public string? MerchantCategoryCode { get; init; }

    // Input that arrived in the SDK's loose JavaScript types (JSON batch mode) and could not be coerced to the typed
    // fields above. The generator reports it at the very step where the SDK would, so that with several faults
    // the first error is the same one the SDK names.
    internal KhqrErrorCode? CurrencyInputError { get; init; }

    internal KhqrErrorCode? AmountInputError { get; init; }

    internal KhqrErrorCode? ExpirationInputError { get; init; }
}
