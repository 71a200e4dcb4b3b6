using Bakong.Khqr.Parsing;

namespace Bakong.Khqr.Tests;

public sealed class JsNumberTests
{
    // Expected values are what node 20 prints.
    [Theory]
    [InlineData(1.5, "1.5")]
    [InlineData(100, "100")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(1.2345678e21, "1.2345678e+21")]
    [InlineData(-5, "-5")]
    [InlineData(1700000000000.5, "1700000000000.5")]
    public void Number_to_string_matches_javascript(double value, string expected)
    {
        Assert.Equal(expected, JsNumber.ToString(value));
    }

    [Theory]
    [InlineData("1700000000000", 1700000000000)]
    [InlineData("  42 ", 42)]
    [InlineData("", 0)]
    [InlineData("0x10", 16)]
    [InlineData("1e3", 1000)]
    [InlineData(".5", 0.5)]
    [InlineData("-1.5", -1.5)]
    public void String_to_number_matches_javascript(string text, double expected)
    {
        Assert.Equal(expected, JsNumber.ToNumber(text));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1e")]
    [InlineData("0x")]
    [InlineData("-0x10")]
    [InlineData("1 2")]
    public void String_that_is_not_a_number_is_nan(string text)
    {
        Assert.True(double.IsNaN(JsNumber.ToNumber(text)));
    }

    [Theory]
    [InlineData("05", 5)]
    [InlineData(" 5", 5)]
    [InlineData("5a", 5)]
    [InlineData("-1", -1)]
    [InlineData("+7", 7)]
    [InlineData("a5", null)]
    [InlineData("0x", null)]
    [InlineData("  ", null)]
    [InlineData("", null)]
    public void Parse_int_of_a_length_field_matches_javascript(string text, int? expected)
    {
        Assert.Equal(expected, JsNumber.ParseInt(text));
    }
}
