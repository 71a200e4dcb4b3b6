using System.CommandLine.Parsing;
using System.Globalization;

namespace Bakong.Cli;

/// <summary>
/// The one way the <c>bakong</c> command reads an amount typed on its command line (<c>khqr generate</c>, <c>pay</c>,
/// <c>sandbox pay</c>): culture-invariant digits with an optional decimal point. <c>12,50</c> and <c>1,2,3</c> are
/// errors, never 1,250 or 123: a payment for the wrong amount is worse than a refused command.
/// </summary>
internal static class AmountText
{
    /// <summary>Digits with an optional decimal point; no sign, exponent, group separator, spaces or rounding.</summary>
    public static bool TryParse(string text, out decimal amount)
    {
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out amount))
        {
            return false;
        }

        // decimal keeps at most 28 decimals and rounds the rest away silently; an amount is taken exactly or not at all.
        var point = text.IndexOf('.', StringComparison.Ordinal);
        var decimals = point < 0 ? 0 : text.Length - point - 1;
        return amount.Scale == decimals;
    }

    /// <summary>An amount option's <c>CustomParser</c>: a value that is not an amount is a usage error naming the option.</summary>
    public static decimal? Parse(ArgumentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = result.Tokens[0].Value;
        if (TryParse(text, out var amount))
        {
            return amount;
        }

        var name = result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
        result.AddError($"{name}: '{text}' is not an amount like 12.50 (digits and a decimal point; no sign, spaces or thousands separators)");
        return null;
    }
}
