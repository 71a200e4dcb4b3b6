namespace Bakong.Khqr;

/// <summary>Maximum lengths (UTF-16 code units) the official SDK enforces, field by field.</summary>
public static class KhqrLimits
{
    public const int BakongAccountId = 32;
    public const int AccountInformation = 32;
    public const int MerchantId = 32;
    public const int AcquiringBank = 32;
    public const int MerchantName = 25;
    public const int MerchantCity = 15;
    public const int BillNumber = 25;
    public const int MobileNumber = 25;
    public const int StoreLabel = 25;
    public const int TerminalLabel = 25;
    public const int PurposeOfTransaction = 25;
    public const int LanguagePreference = 2;
    public const int MerchantNameAlternateLanguage = 25;
    public const int MerchantCityAlternateLanguage = 15;
    public const int UpiMerchantAccount = 99;
    public const int MerchantCategoryCode = 4;
    public const int Amount = 13;
    public const int Timestamp = 13;
}
