namespace Bakong.Khqr.Generation;

/// <summary>The top-level KHQR tags, in the order the SDK emits them.</summary>
internal static class EmvTags
{
    public const string PayloadFormatIndicator = "00";
    public const string PointOfInitiationMethod = "01";
    public const string UnionPayMerchantAccount = "15";
    public const string IndividualAccount = "29";
    public const string MerchantAccount = "30";
    public const string MerchantCategoryCode = "52";
    public const string TransactionCurrency = "53";
    public const string TransactionAmount = "54";
    public const string CountryCode = "58";
    public const string MerchantName = "59";
    public const string MerchantCity = "60";
    public const string AdditionalData = "62";
    public const string Crc = "63";
    public const string LanguageTemplate = "64";
    public const string Timestamps = "99";
}
