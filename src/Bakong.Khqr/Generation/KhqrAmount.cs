using System.Globalization;

namespace Bakong.Khqr;

/// <summary>
/// The one place the KHQR amount rule lives (tag 54): riel whole, dollars with at most two decimals, written the
/// way the SDK writes them — an integral amount without decimals (<c>12</c>), any other with exactly two
/// (<c>12.50</c>) — and at most 13 characters.
/// </summary>
public static class KhqrAmount
{
    /// <summary>Room for any decimal the formatter may be asked to write before the length check.</summary>
    public const int MaxFormattedChars = 40;

    private static readonly decimal s_tooLarge = 10_000_000_000_000m;

    /// <summary>Formats <paramref name="amount"/> for tag 54, or says why it cannot be a KHQR amount.</summary>
    public static bool TryFormat(decimal amount, KhqrCurrency currency, Span<char> destination, out int written, out string? why)
    {
        written = 0;
        if (amount < 0)
        {
            why = "must not be negative";
            return false;
        }

        if (amount >= s_tooLarge)
        {
            why = "at most 13 characters";
            return false;
        }

        bool integral = decimal.IsInteger(amount);
        if (currency == KhqrCurrency.Khr && !integral)
        {
            why = "riel amounts are whole numbers";
            return false;
        }

        if (!integral && !decimal.IsInteger(amount * 100))
        {
            why = "at most two decimals";
            return false;
        }

        amount.TryFormat(destination, out written, integral ? "F0" : "F2", CultureInfo.InvariantCulture);
        if (written > KhqrLimits.Amount)
        {
            why = "at most 13 characters";
            return false;
        }

        why = null;
        return true;
    }
}
