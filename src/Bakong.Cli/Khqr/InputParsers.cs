using System.CommandLine.Parsing;
using System.Globalization;
using Bakong.Khqr;

namespace Bakong.Cli.Khqr;

/// <summary>
/// Reads the <c>khqr</c> options' text. Everything is culture-invariant: <c>1,5</c> is an error, never 15 or 1.5.
/// A value the SDK itself has an error code for (amount, currency) is reported in the same one-line form as the
/// generator's errors, with that code.
/// </summary>
internal static class InputParsers
{
    private const long MaxDurationNumber = 1_000_000_000;

    /// <summary>
    /// <see cref="AmountText.TryParse"/>, the CLI's one amount reading; the error is the SDK's, with its code, as the
    /// generator would report it.
    /// </summary>
    public static decimal? ParseAmount(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (AmountText.TryParse(text, out var amount))
        {
            return amount;
        }

        result.AddError(ErrorLine.For(new KhqrError(KhqrErrorCode.TransactionAmountInvalid, "amount", $"'{text}' is not a number like 12.50"), "--amount"));
        return null;
    }

    public static KhqrCurrency? ParseCurrency(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        switch (text.ToUpperInvariant())
        {
            case "KHR" or "116":
                return KhqrCurrency.Khr;
            case "USD" or "840":
                return KhqrCurrency.Usd;
            default:
                result.AddError(ErrorLine.For(new KhqrError(KhqrErrorCode.UnsupportedCurrency, "currency", $"'{text}' is not KHR, USD, 116 or 840"), "--currency"));
                return null;
        }
    }

    public static KhqrMerchantType? ParseMerchantType(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        switch (text.ToLowerInvariant())
        {
            case "individual":
                return KhqrMerchantType.Individual;
            case "merchant":
                return KhqrMerchantType.Merchant;
            default:
                result.AddError($"--type: '{text}' is not individual or merchant");
                return null;
        }
    }

    public static TimeSpan? ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (TryParseDuration(text, out var duration))
        {
            return duration;
        }

        result.AddError($"--expires-in: '{text}' is not a duration like 300 (seconds), 90s, 5m or 1h");
        return null;
    }

    /// <summary>Whole seconds, or a whole number with an <c>s</c>, <c>m</c> or <c>h</c> suffix; more than zero.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text.Length == 0)
        {
            return false;
        }

        long unitSeconds = char.ToLowerInvariant(text[^1]) switch
        {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => 0,
        };
        var digits = unitSeconds == 0 ? text : text[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0 || number > MaxDurationNumber)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(number * Math.Max(unitSeconds, 1));
        return true;
    }

    public static DateTimeOffset? ParseUnixMilliseconds(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            && milliseconds <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        }

        result.AddError($"--now: '{text}' is not a Unix time in milliseconds, like 1767225600000");
        return null;
    }

    public static double ParseSeconds(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 3600)
        {
            return seconds;
        }

        result.AddError($"--seconds: '{text}' is not a number of seconds between 0 and 3600, like 3 or 0.5");
        return 0;
    }
}
