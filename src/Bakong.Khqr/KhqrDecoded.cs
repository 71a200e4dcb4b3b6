namespace Bakong.Khqr;

/// <summary>
/// Every field of a KHQR string, by the official SDK's names (<c>BakongKHQR.decode</c>), as the text found in the
/// string, or <see langword="null"/> where the field is absent. Decoding does not validate: use
/// <see cref="KhqrVerifier"/> for a verdict.
/// </summary>
public sealed class KhqrDecoded
{
    /// <summary>"29" (individual), "30" (merchant), or null.</summary>
    public string? MerchantType { get; internal set; }

    public string? BakongAccountID { get; internal set; }

    /// <summary>Tag 29 sub-tag 01.</summary>
    public string? AccountInformation { get; internal set; }

    /// <summary>Tag 30 sub-tag 01.</summary>
    public string? MerchantID { get; internal set; }

    public string? AcquiringBank { get; internal set; }

    public string? BillNumber { get; internal set; }

    public string? MobileNumber { get; internal set; }

    public string? StoreLabel { get; internal set; }

    public string? TerminalLabel { get; internal set; }

    public string? PurposeOfTransaction { get; internal set; }

    public string? LanguagePreference { get; internal set; }

    public string? MerchantNameAlternateLanguage { get; internal set; }

    public string? MerchantCityAlternateLanguage { get; internal set; }

    /// <summary>Tag 99 sub-tag 00, Unix milliseconds as text.</summary>
    public string? CreationTimestamp { get; internal set; }

    /// <summary>Tag 99 sub-tag 01, Unix milliseconds as text.</summary>
    public string? ExpirationTimestamp { get; internal set; }

    public string? PayloadFormatIndicator { get; internal set; }

    /// <summary>"11" static, "12" dynamic (the SDK spells the key <c>pointofInitiationMethod</c>).</summary>
    public string? PointOfInitiationMethod { get; internal set; }

    public string? UnionPayMerchant { get; internal set; }

    public string? MerchantCategoryCode { get; internal set; }

    /// <summary>"116" or "840".</summary>
    public string? TransactionCurrency { get; internal set; }

    /// <summary>The amount as written in tag 54, e.g. "12.50".</summary>
    public string? TransactionAmount { get; internal set; }

    public string? CountryCode { get; internal set; }

    public string? MerchantName { get; internal set; }

    public string? MerchantCity { get; internal set; }

    public string? Crc { get; internal set; }

    /// <summary>
    /// True when a template had a sub-field length the official SDK cannot get past (its decode never returns);
    /// the fields read before it are kept.
    /// </summary>
    public bool IsMalformed { get; internal set; }
}
