using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bakong.Payments.Webhooks;

/// <summary>
/// The <c>Bakong-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;raw body&gt;")&gt;</c>.
/// The timestamp is inside the signed text, so a captured request cannot be replayed later with a fresh one.
/// Receivers verify with <see cref="Verify"/> over the raw request body, before parsing it.
/// </summary>
public static class WebhookSignature
{
    public const string HeaderName = "Bakong-Signature";

    public const string EventIdHeaderName = "Bakong-Event-Id";

    /// <summary>The tolerance Stripe-style receivers use: five minutes either side.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The header value for <paramref name="body"/> signed at <paramref name="timestamp"/>.</summary>
    public static string Create(ReadOnlySpan<byte> body, string secret, DateTimeOffset timestamp) => Create(body, [secret], timestamp);

    /// <summary>
    /// The header value signed with each of <paramref name="secrets"/>, one <c>v1=</c> each in that order
    /// (<c>t=…,v1=…,v1=…</c>): a receiver holding any one of them accepts, so secrets rotate without a gap.
    /// </summary>
    public static string Create(ReadOnlySpan<byte> body, IReadOnlyList<string> secrets, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentOutOfRangeException.ThrowIfZero(secrets.Count);
        var t = timestamp.ToUnixTimeSeconds();
        var header = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"t={t}"));
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var secret in secrets)
        {
            ArgumentException.ThrowIfNullOrEmpty(secret);
            Compute(secret, t, body, mac);
            header.Append(",v1=").Append(Convert.ToHexStringLower(mac));
        }

        return header.ToString();
    }

    /// <summary>
    /// Whether <paramref name="header"/> carries a valid signature of <paramref name="body"/> under
    /// <paramref name="secret"/> with a timestamp no further than <paramref name="tolerance"/> from
    /// <paramref name="now"/>. Any one of several <c>v1</c> values may match (secret rotation). Compares in constant
    /// time; never throws on a malformed header.
    /// </summary>
    public static bool Verify(string? header, ReadOnlySpan<byte> body, string secret, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        long? timestamp = null;
        var signatures = new List<byte[]>(1);
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
            {
                if (timestamp is not null
                    || !long.TryParse(part.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var t))
                {
                    return false;
                }

                timestamp = t;
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal) && part.Length == 3 + (2 * HMACSHA256.HashSizeInBytes))
            {
                try
                {
                    signatures.Add(Convert.FromHexString(part.AsSpan(3)));
                }
                catch (FormatException)
                {
                    // Not hex: not a signature of ours; another v1 may still match.
                }
            }
        }

        if (timestamp is not { } ts || signatures.Count == 0)
        {
            return false;
        }

        var age = now.ToUnixTimeSeconds() - ts;
        if (Math.Abs(age) > (long)tolerance.TotalSeconds)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Compute(secret, ts, body, expected);
        var match = false;
        foreach (var signature in signatures)
        {
            // Check every candidate, so timing does not reveal which one matched.
            match |= CryptographicOperations.FixedTimeEquals(expected, signature);
        }

        return match;
    }

    private static void Compute(string secret, long timestamp, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        var key = Encoding.UTF8.GetBytes(secret);
        Span<byte> prefix = stackalloc byte[21];
        timestamp.TryFormat(prefix, out var written, provider: CultureInfo.InvariantCulture);
        prefix[written++] = (byte)'.';
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix[..written]);
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
        CryptographicOperations.ZeroMemory(key);
    }
}
