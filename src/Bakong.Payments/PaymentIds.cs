using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Bakong.Payments;

/// <summary>Identifiers: random where they must be unguessable, derived where they must follow from another.</summary>
public static class PaymentIds
{
    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>A payment id: 128 random bits, base64url without padding (22 characters).</summary>
    public static string NewPaymentId() => Random128();

    /// <summary>A webhook event id: 128 random bits, prefixed <c>evt_</c>.</summary>
    public static string NewEventId() => "evt_" + Random128();

    /// <summary>
    /// The KHQR bill number (tag 62 sub-tag 01) of a payment: 120 bits of SHA-256 of its id in Crockford base32,
    /// 24 characters. Every payment has a new random id, so every QR ever generated has its own bill number, also
    /// when a POS retries the same order; and the bill number printed in the customer's banking app does not reveal
    /// the payment id the POS uses to cancel it.
    /// </summary>
    public static string BillNumberFor(string paymentId)
    {
        ArgumentException.ThrowIfNullOrEmpty(paymentId);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(paymentId), hash);
        return string.Create(24, hash[..15].ToArray(), static (chars, bytes) =>
        {
            // 15 bytes = 120 bits = 24 groups of 5 bits.
            var buffer = 0;
            var bits = 0;
            var index = 0;
            foreach (var b in bytes)
            {
                buffer = (buffer << 8) | b;
                bits += 8;
                while (bits >= 5)
                {
                    bits -= 5;
                    chars[index++] = Crockford[(buffer >> bits) & 31];
                }
            }
        });
    }

    private static string Random128()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }
}
