using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bakong.Khqr;

namespace Bakong.Sandbox.Transactions;

/// <summary>Reads what the ledger needs from a KHQR payload: its md5, receiver, amount, currency and expiry.</summary>
internal static class SandboxQrDecoder
{
    /// <exception cref="ArgumentException">The payload is not a KHQR with a receiving account.</exception>
    public static SandboxQr Decode(string qr)
    {
        if (string.IsNullOrWhiteSpace(qr))
        {
            throw new ArgumentException("qr is empty");
        }

        var decoded = KhqrDecoder.Decode(qr);
        if (decoded.IsMalformed || decoded.BakongAccountID is null || decoded.PointOfInitiationMethod is null)
        {
            throw new ArgumentException("qr is not a KHQR with a Bakong account");
        }

        decimal? amount = decimal.TryParse(decoded.TransactionAmount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed) && parsed > 0
            ? parsed
            : null;
        long? expires = long.TryParse(decoded.ExpirationTimestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : null;
        var currency = decoded.TransactionCurrency switch
        {
            "840" => "USD",
            "116" => "KHR",
            _ => null,
        };
        return new SandboxQr(ComputeMd5(qr), qr, decoded.PointOfInitiationMethod == "11", amount, currency, decoded.BakongAccountID, expires);
    }

    /// <summary><c>USD</c> or <c>KHR</c> in any case, spelled as Bakong answers it; null for anything else.</summary>
    public static string? NormalizeCurrency(string? currency) =>
        string.Equals(currency, "USD", StringComparison.OrdinalIgnoreCase) ? "USD"
        : string.Equals(currency, "KHR", StringComparison.OrdinalIgnoreCase) ? "KHR"
        : null;

    private static string ComputeMd5(string qr)
    {
#pragma warning disable CA5351 // MD5 is how KHQR names a payload, not a security measure.
        return Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(qr)));
#pragma warning restore CA5351
    }
}
