using System.Runtime.CompilerServices;

namespace Bakong.Khqr;

/// <summary>
/// Every field of a KHQR string, by the official SDK's names (<c>BakongKHQR.decode</c>), as the text found in the
/// string, or <see langword="null"/> where the field is absent. Decoding does not validate: use
/// <see cref="KhqrVerifier"/> for a verdict.
/// </summary>
/// <remarks>
/// Decoding records where each field lies in the string; a field's text is cut out when its property is read
/// (each read returns a new string), so decoding a QR to look at two fields does not pay for twenty-four.
/// </remarks>
public sealed class KhqrDecoded
{
    private readonly string _source;
    private FieldPositions _positions;

    internal KhqrDecoded(string source)
    {
        _source = source;
        ((Span<long>)_positions).Fill(-1);
    }

    /// <summary>"29" (individual), "30" (merchant), or null.</summary>
    public string? MerchantType { get; internal set; }

    public string? BakongAccountID => Get(DecodedField.BakongAccountID);

    /// <summary>Tag 29 sub-tag 01.</summary>
    public string? AccountInformation => Get(DecodedField.AccountInformation);

    /// <summary>Tag 30 sub-tag 01.</summary>
    public string? MerchantID => Get(DecodedField.MerchantID);

    public string? AcquiringBank => Get(DecodedField.AcquiringBank);

    public string? BillNumber => Get(DecodedField.BillNumber);

    public string? MobileNumber => Get(DecodedField.MobileNumber);

    public string? StoreLabel => Get(DecodedField.StoreLabel);

    public string? TerminalLabel => Get(DecodedField.TerminalLabel);

    public string? PurposeOfTransaction => Get(DecodedField.PurposeOfTransaction);

    public string? LanguagePreference => Get(DecodedField.LanguagePreference);

    public string? MerchantNameAlternateLanguage => Get(DecodedField.MerchantNameAlternateLanguage);

    public string? MerchantCityAlternateLanguage => Get(DecodedField.MerchantCityAlternateLanguage);

    /// <summary>Tag 99 sub-tag 00, Unix milliseconds as text.</summary>
    public string? CreationTimestamp => Get(DecodedField.CreationTimestamp);

    /// <summary>Tag 99 sub-tag 01, Unix milliseconds as text.</summary>
    public string? ExpirationTimestamp => Get(DecodedField.ExpirationTimestamp);

    public string? PayloadFormatIndicator => Get(DecodedField.PayloadFormatIndicator);

    /// <summary>"11" static, "12" dynamic (the SDK spells the key <c>pointofInitiationMethod</c>).</summary>
    public string? PointOfInitiationMethod => Get(DecodedField.PointOfInitiationMethod);

    public string? UnionPayMerchant => Get(DecodedField.UnionPayMerchant);

    public string? MerchantCategoryCode => Get(DecodedField.MerchantCategoryCode);

    /// <summary>"116" or "840".</summary>
    public string? TransactionCurrency => Get(DecodedField.TransactionCurrency);

    /// <summary>The amount as written in tag 54, e.g. "12.50".</summary>
    public string? TransactionAmount => Get(DecodedField.TransactionAmount);

    public string? CountryCode => Get(DecodedField.CountryCode);

    public string? MerchantName => Get(DecodedField.MerchantName);

    public string? MerchantCity => Get(DecodedField.MerchantCity);

    public string? Crc => Get(DecodedField.Crc);

    /// <summary>
    /// True when a template had a length the official SDK cannot get past (its decode never returns);
    /// the fields read before it are kept.
    /// </summary>
    public bool IsMalformed { get; internal set; }

    internal void Set(DecodedField field, int start, int length) => _positions[(int)field] = ((long)start << 32) | (uint)length;

    private string? Get(DecodedField field)
    {
        var position = _positions[(int)field];
        return position < 0 ? null : _source.Substring((int)(position >> 32), (int)(position & 0xFFFFFFFF));
    }

    [InlineArray(24)]
    private struct FieldPositions
    {
        private long _first;
    }
}

/// <summary>The decoded fields, in the SDK's order.</summary>
internal enum DecodedField
{

    BakongAccountID,
    AccountInformation,
    MerchantID,
    AcquiringBank,
    BillNumber,
    MobileNumber,
    StoreLabel,
    TerminalLabel,
    PurposeOfTransaction,
    LanguagePreference,
    MerchantNameAlternateLanguage,
    MerchantCityAlternateLanguage,
    CreationTimestamp,
    ExpirationTimestamp,
    PayloadFormatIndicator,
    PointOfInitiationMethod,
    UnionPayMerchant,
    MerchantCategoryCode,
    TransactionCurrency,
    TransactionAmount,
    CountryCode,
    MerchantName,
    MerchantCity,
    Crc,
}
