namespace Bakong.Khqr;

/// <summary>Which merchant account template a KHQR uses.</summary>
public enum KhqrMerchantType
{
    /// <summary>Tag 29: a person's (or shop's) Bakong account, optionally with account information and bank.</summary>
    Individual,

    /// <summary>Tag 30: a merchant with a merchant ID and an acquiring bank (both required).</summary>
    Merchant,
}
