namespace Bakong.Khqr;

/// <summary>The currencies KHQR carries, by their ISO 4217 numeric code (tag 53).</summary>
public enum KhqrCurrency
{
    /// <summary>Cambodian riel: whole amounts only.</summary>
    Khr = 116,

    /// <summary>US dollar: at most two decimals.</summary>
    Usd = 840,
}
