using System.Globalization;
using Bakong.Khqr;

namespace Bakong.Payments;

/// <summary>
/// An amount of money a payment asks for: riel in whole riel, dollars in whole cents, always positive. This is the
/// product's one rule for money; every other layer converts to and from it (<see cref="TryCreate(string?, decimal, out Money, out FieldViolation?)"/>
/// from input, <see cref="ToKhqrAmount"/> for the QR, <see cref="MinorUnits"/> for storage).
/// </summary>
/// <remarks>
/// The amount rule itself is <see cref="KhqrAmount"/>'s (tag 54): whatever a KHQR can carry, and nothing else, is
/// money here. A zero amount would make a static QR, which cannot be tracked by md5, so it is rejected.
/// </remarks>
public readonly record struct Money
{
    private Money(KhqrCurrency currency, long minorUnits)
    {
        Currency = currency;
        MinorUnits = minorUnits;
    }

    /// <summary>Riel or dollars.</summary>
    public KhqrCurrency Currency { get; }

    /// <summary>Whole riel, or cents.</summary>
    public long MinorUnits { get; }

    /// <summary>The amount in major units: riel, or dollars with at most two decimals.</summary>
    public decimal Amount => MinorUnits / MinorPerMajor(Currency);

    /// <summary>Digits of the minor unit (ISO 4217 exponent): 0 for riel, 2 for dollars.</summary>
    public int MinorUnitDigits => DigitsOf(Currency);

    /// <summary>The ISO 4217 code: <c>KHR</c> or <c>USD</c>.</summary>
    public string CurrencyCode => CodeOf(Currency);

    /// <summary>
    /// Reads money from input: <paramref name="currencyCode"/> <c>KHR</c> or <c>USD</c> (any case), a positive
    /// <paramref name="amount"/> in major units that a KHQR can carry. Any other input gives a violation naming
    /// <c>currency</c> or <c>amount</c>.
    /// </summary>
    public static bool TryCreate(string? currencyCode, decimal amount, out Money money, out FieldViolation? violation)
    {
        if (!TryParseCurrency(currencyCode, out var currency))
        {
            money = default;
            violation = new FieldViolation("currency", "must be KHR or USD");
            return false;
        }

        return TryCreate(currency, amount, out money, out violation);
    }

    /// <inheritdoc cref="TryCreate(string?, decimal, out Money, out FieldViolation?)"/>
    public static bool TryCreate(KhqrCurrency currency, decimal amount, out Money money, out FieldViolation? violation)
    {
        money = default;
        if (currency is not (KhqrCurrency.Khr or KhqrCurrency.Usd))
        {
            violation = new FieldViolation("currency", "must be KHR or USD");
            return false;
        }

        if (amount <= 0)
        {
            violation = new FieldViolation("amount", "must be greater than zero");
            return false;
        }

        Span<char> text = stackalloc char[KhqrAmount.MaxFormattedChars];
        if (!KhqrAmount.TryFormat(amount, currency, text, out _, out var why))
        {
            violation = new FieldViolation(
                "amount",
                currency == KhqrCurrency.Khr ? "KHR amounts are whole riel; " + why : "USD amounts are whole cents; " + why);
            return false;
        }

        // KhqrAmount accepted it: riel are whole and dollars have at most two decimals, so this is exact.
        money = new Money(currency, (long)(amount * MinorPerMajor(currency)));
        violation = null;
        return true;
    }

    /// <summary>
    /// Reads money from input as <see cref="TryCreate(string?, decimal, out Money, out FieldViolation?)"/> does, and
    /// refuses more than <paramref name="ceiling"/> allows in its currency (a violation naming <c>amount</c>): what
    /// a KHQR can carry (13 digits) is far more than any shop takes in one payment.
    /// </summary>
    public static bool TryCreate(string? currencyCode, decimal amount, AmountCeiling ceiling, out Money money, out FieldViolation? violation)
    {
        if (!TryCreate(currencyCode, amount, out money, out violation))
        {
            return false;
        }

        var maximum = ceiling.For(money.Currency);
        if (money.Amount <= maximum)
        {
            return true;
        }

        violation = new FieldViolation("amount", "must be at most " + Create(money.Currency, maximum) + " (this gateway's limit for one payment)");
        money = default;
        return false;
    }

    /// <summary>Money from a valid amount; throws <see cref="ArgumentException"/> where <see cref="TryCreate(KhqrCurrency, decimal, out Money, out FieldViolation?)"/> would say no.</summary>
    public static Money Create(KhqrCurrency currency, decimal amount) =>
        TryCreate(currency, amount, out var money, out var violation)
            ? money
            : throw new ArgumentException(violation!.Field + ": " + violation.Description, nameof(amount));

    /// <summary>Money from stored minor units (whole riel or cents); throws <see cref="ArgumentException"/> if they are not valid money.</summary>
    public static Money FromMinorUnits(KhqrCurrency currency, long minorUnits) =>
        Create(currency, minorUnits / MinorPerMajor(currency));

    /// <summary>Parses <c>KHR</c> or <c>USD</c>, in any case.</summary>
    public static bool TryParseCurrency(string? code, out KhqrCurrency currency)
    {
        if (string.Equals(code, "KHR", StringComparison.OrdinalIgnoreCase))
        {
            currency = KhqrCurrency.Khr;
            return true;
        }

        if (string.Equals(code, "USD", StringComparison.OrdinalIgnoreCase))
        {
            currency = KhqrCurrency.Usd;
            return true;
        }

        currency = default;
        return false;
    }

    /// <summary>The ISO 4217 code of a KHQR currency.</summary>
    public static string CodeOf(KhqrCurrency currency) => currency switch
    {
        KhqrCurrency.Khr => "KHR",
        KhqrCurrency.Usd => "USD",
        _ => throw new ArgumentOutOfRangeException(nameof(currency), currency, "KHR or USD"),
    };

    /// <summary>The amount as KHQR tag 54 writes it (<c>4400</c>, <c>12.50</c>).</summary>
    public string ToKhqrAmount()
    {
        Span<char> text = stackalloc char[KhqrAmount.MaxFormattedChars];
        return KhqrAmount.TryFormat(Amount, Currency, text, out var written, out var why)
            ? new string(text[..written])
            : throw new InvalidOperationException("Money that KHQR cannot carry: " + why);
    }

    /// <summary>
    /// Minor units (a total, which may be zero or more than one QR can carry) in major units without the currency:
    /// <c>4400</c> riel, <c>12.50</c> dollars. The report's CSV and text write totals with it.
    /// </summary>
    public static string FormatMajor(KhqrCurrency currency, long minorUnits)
    {
        var digits = DigitsOf(currency);
        var major = minorUnits / MinorPerMajor(currency);
        return major.ToString(digits == 0 ? "0" : "0.00", CultureInfo.InvariantCulture);
    }

    /// <summary>The one place that says riel are whole and dollars have cents.</summary>
    private static int DigitsOf(KhqrCurrency currency) => currency == KhqrCurrency.Khr ? 0 : 2;

    /// <summary>Minor units in one major unit: 1 riel is 1 riel, 1 dollar is 100 cents.</summary>
    private static decimal MinorPerMajor(KhqrCurrency currency) => DigitsOf(currency) == 0 ? 1m : 100m;

    /// <summary>Whether Bakong's report of a transfer (<paramref name="currencyCode"/>, <paramref name="amount"/> in major units) is exactly this money.</summary>
    public bool Matches(string? currencyCode, decimal amount) =>
        TryParseCurrency(currencyCode, out var currency) && currency == Currency && amount == Amount;

    /// <summary><c>12.50 USD</c>, <c>4400 KHR</c>.</summary>
    public override string ToString() =>
        Currency == KhqrCurrency.Khr
            ? string.Create(CultureInfo.InvariantCulture, $"{MinorUnits} KHR")
            : string.Create(CultureInfo.InvariantCulture, $"{Amount:0.00} USD");
}

/// <summary>The most one payment may ask for, per currency, in major units (<c>Payments:MaxAmountKhr</c>, <c>Payments:MaxAmountUsd</c>).</summary>
public readonly record struct AmountCeiling(decimal Khr, decimal Usd)
{
    /// <summary>The ceiling in <paramref name="currency"/>.</summary>
    public decimal For(KhqrCurrency currency) => currency == KhqrCurrency.Khr ? Khr : Usd;
}
