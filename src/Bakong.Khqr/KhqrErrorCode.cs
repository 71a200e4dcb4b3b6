namespace Bakong.Khqr;

/// <summary>
/// The official KHQR SDK's error numbering (bakong-khqr 1.0.20, <c>src/constant/errorCode.js</c>).
/// The numbers are a contract with other SDKs and tools: never renumber.
/// </summary>
public enum KhqrErrorCode
{
    /// <summary>Bakong Account ID cannot be null or empty</summary>
    BakongAccountIdRequired = 1,
    /// <summary>Merchant name cannot be null or empty</summary>
    MerchantNameRequired = 2,
    /// <summary>Bakong Account ID is invalid</summary>
    BakongAccountIdInvalid = 3,
    /// <summary>Amount is invalid</summary>
    TransactionAmountInvalid = 4,
    /// <summary>Merchant type cannot be null or empty</summary>
    MerchantTypeRequired = 5,
    /// <summary>Bakong Account ID Length is Invalid</summary>
    BakongAccountIdLengthInvalid = 6,
    /// <summary>Merchant Name Length is invalid</summary>
    MerchantNameLengthInvalid = 7,
    /// <summary>KHQR provided is invalid</summary>
    KhqrInvalid = 8,
    /// <summary>Currency type cannot be null or empty</summary>
    CurrencyTypeRequired = 9,
    /// <summary>Bill Name Length is invalid</summary>
    BillNumberLengthInvalid = 10,
    /// <summary>Store Label Length is invalid</summary>
    StoreLabelLengthInvalid = 11,
    /// <summary>Terminal Label Length is invalid</summary>
    TerminalLabelLengthInvalid = 12,
    /// <summary>Cannot reach Bakong Open API service. Please check internet connection</summary>
    ConnectionTimeout = 13,
    /// <summary>Source Info for Deep Link is invalid</summary>
    InvalidDeepLinkSourceInfo = 14,
    /// <summary>Internal server error</summary>
    InternalServerError = 15,
    /// <summary>Payload Format indicator Length is invalid</summary>
    PayloadFormatIndicatorLengthInvalid = 16,
    /// <summary>Point of initiation Length is invalid</summary>
    PointInitiationLengthInvalid = 17,
    /// <summary>Merchant code Length is invalid</summary>
    MerchantCodeLengthInvalid = 18,
    /// <summary>Transaction currency Length is invalid</summary>
    TransactionCurrencyLengthInvalid = 19,
    /// <summary>Country code Length is invalid</summary>
    CountryCodeLengthInvalid = 20,
    /// <summary>Merchant city Length is invalid</summary>
    MerchantCityLengthInvalid = 21,
    /// <summary>CRC Length is invalid</summary>
    CrcLengthInvalid = 22,
    /// <summary>Payload format indicator tag required</summary>
    PayloadFormatIndicatorTagRequired = 23,
    /// <summary>CRC tag required</summary>
    CrcTagRequired = 24,
    /// <summary>Merchant category tag required</summary>
    MerchantCategoryTagRequired = 25,
    /// <summary>Country Code cannot be null or empty</summary>
    CountryCodeTagRequired = 26,
    /// <summary>Merchant City cannot be null or empty</summary>
    MerchantCityTagRequired = 27,
    /// <summary>Unsupported currency</summary>
    UnsupportedCurrency = 28,
    /// <summary>Deep Link URL is not valid</summary>
    InvalidDeepLinkUrl = 29,
    /// <summary>Merchant ID cannot be null or empty</summary>
    MerchantIdRequired = 30,
    /// <summary>Acquiring Bank cannot be null or empty</summary>
    AcquiringBankRequired = 31,
    /// <summary>Merchant ID Length is invalid</summary>
    MerchantIdLengthInvalid = 32,
    /// <summary>Acquiring Bank Length is invalid</summary>
    AcquiringBankLengthInvalid = 33,
    /// <summary>Mobile Number Length is invalid</summary>
    MobileNumberLengthInvalid = 34,
    /// <summary>Account Information Length is invalid</summary>
    AccountInformationLengthInvalid = 35,
    /// <summary>Tag is not in order</summary>
    TagNotInOrder = 36,
    /// <summary>Language Preference cannot be null or empty</summary>
    LanguagePreferenceRequired = 37,
    /// <summary>Language Preference Length is invalid</summary>
    LanguagePreferenceLengthInvalid = 38,
    /// <summary>Merchant Name Alternate Language cannot be null or empty</summary>
    MerchantNameAlternateLanguageRequired = 39,
    /// <summary>Merchant Name Alternate Language Length is invalid</summary>
    MerchantNameAlternateLanguageLengthInvalid = 40,
    /// <summary>Merchant City Alternate Language Length is invalid</summary>
    MerchantCityAlternateLanguageLengthInvalid = 41,
    /// <summary>Purpose of Transaction Length is invalid</summary>
    PurposeOfTransactionLengthInvalid = 42,
    /// <summary>Upi Account Information Length is invalid</summary>
    UpiAccountInformationLengthInvalid = 43,
    /// <summary>Upi Account Information Length does not accept USD</summary>
    UpiAccountInformationInvalidCurrency = 44,
    /// <summary>Expiration timestamp is required for dynamic KHQR</summary>
    ExpirationTimestampRequired = 45,
    /// <summary>This dynamic KHQR has expired</summary>
    KhqrExpired = 46,
    /// <summary>This dynamic KHQR has invalid field transaction amount</summary>
    InvalidDynamicKhqr = 47,
    /// <summary>Point of Initiation Method is invalid</summary>
    PointOfInitiationMethodInvalid = 48,
    /// <summary>Expiration timestamp length is invalid</summary>
    ExpirationTimestampLengthInvalid = 49,
    /// <summary>Expiration timestamp is in the past</summary>
    ExpirationTimestampInThePast = 50,
    /// <summary>Invalid merchant category code</summary>
    InvalidMerchantCategoryCode = 51,
}
