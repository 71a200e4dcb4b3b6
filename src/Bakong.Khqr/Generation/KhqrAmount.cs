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

        // Below 10^13 with at most 28 decimals the unscaled value may still be 96 bits wide; strip trailing zeros
        // (1.500 is 1.5) on the 96-bit value, then read the digits from a 64-bit one.
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(amount, bits);
        var scale = (bits[3] >> 16) & 0xFF;
        var unscaled = new UInt128((uint)bits[2], ((ulong)(uint)bits[1] << 32) | (uint)bits[0]);
        while (scale > 0 && unscaled % 10 == 0)
        {
            unscaled /= 10;
            scale--;
        }

        if (scale > 0 && currency == KhqrCurrency.Khr)
        {
            why = "riel amounts are whole numbers";
            return false;
        }

        if (scale > 2)
        {
            why = "at most two decimals";
            return false;
        }

        // The SDK writes an integral amount bare and any other with exactly two decimals (1.5 -> "1.50").
        var value = (ulong)unscaled;
        if (scale == 1)
        {
            value *= 10;
        }

        var fractional = scale > 0;
        var integral = fractional ? value / 100 : value;
        integral.TryFormat(destination, out written, provider: CultureInfo.InvariantCulture);
        if (fractional)
        {
            var cents = (int)(value % 100);
            destination[written] = '.';
            destination[written + 1] = (char)('0' + (cents / 10));
            destination[written + 2] = (char)('0' + (cents % 10));
            written += 3;
        }

        if (written > KhqrLimits.Amount)
        {
            why = "at most 13 characters";
            return false;
        }

        why = null;
        return true;
    }
}
