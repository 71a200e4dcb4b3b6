using Bakong.Khqr;

namespace Bakong.Payments.Tests;

public sealed class MoneyTests
{
    [Fact]
    public void Riel_with_a_fraction_is_an_error_naming_amount()
    {
        Assert.False(Money.TryCreate("KHR", 100.5m, out _, out var violation));
        Assert.Equal("amount", violation!.Field);
        Assert.Contains("whole riel", violation.Description);
    }

    [Fact]
    public void Dollars_with_a_fraction_of_a_cent_are_an_error_naming_amount()
    {
        Assert.False(Money.TryCreate("USD", 1.005m, out _, out var violation));
        Assert.Equal("amount", violation!.Field);
    }

    [Theory]
    [InlineData("EUR")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("840")]
    public void An_unsupported_currency_is_an_error_naming_currency(string? code)
    {
        Assert.False(Money.TryCreate(code, 10m, out _, out var violation));
        Assert.Equal("currency", violation!.Field);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Zero_or_negative_amounts_are_errors(int amount)
    {
        Assert.False(Money.TryCreate("USD", amount, out _, out var violation));
        Assert.Equal("amount", violation!.Field);
    }

    [Fact]
    public void Amounts_too_long_for_a_khqr_are_errors()
    {
        Assert.False(Money.TryCreate("KHR", 10_000_000_000_000m, out _, out var violation));
        Assert.Equal("amount", violation!.Field);
    }

    [Theory]
    [InlineData("KHR", "4400", 4400L, "4400")]
    [InlineData("KHR", "100.00", 100L, "100")]
    [InlineData("USD", "1.5", 150L, "1.50")]
    [InlineData("usd", "12.34", 1234L, "12.34")]
    [InlineData("USD", "7", 700L, "7")]
    public void Valid_money_converts_to_minor_units_and_the_khqr_amount(string code, string amount, long minor, string khqr)
    {
        Assert.True(Money.TryCreate(code, decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), out var money, out var violation));
        Assert.Null(violation);
        Assert.Equal(minor, money.MinorUnits);
        Assert.Equal(khqr, money.ToKhqrAmount());
        Assert.Equal(money, Money.FromMinorUnits(money.Currency, minor));
    }

    [Fact]
    public void Equal_amounts_written_differently_are_equal_money()
    {
        Assert.Equal(Money.Create(KhqrCurrency.Usd, 1.5m), Money.Create(KhqrCurrency.Usd, 1.50m));
        Assert.True(Money.Create(KhqrCurrency.Usd, 1.5m).Matches("USD", 1.50m));
        Assert.False(Money.Create(KhqrCurrency.Usd, 1.5m).Matches("KHR", 1.5m));
    }
}
