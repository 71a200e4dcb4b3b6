using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Bakong.Identity;

/// <summary>
/// A client's TLS certificate as the client store pins it: the SHA-256 of the certificate's DER bytes, as 64
/// upper-case hex digits (what <c>openssl x509 -fingerprint -sha256</c> prints, without the colons). A thumbprint is
/// public: it names the certificate, and only the holder of the certificate's private key can present it.
/// </summary>
public static class ClientCertificate
{
    /// <summary>The length of a thumbprint: SHA-256, 32 bytes in hex.</summary>
    public const int ThumbprintLength = 64;

    /// <summary>The most PEM text taken for one certificate (a certificate with a long chain is still far below it).</summary>
    public const int MaxPemLength = 64 * 1024;

    /// <summary>The thumbprint of <paramref name="certificate"/>.</summary>
    public static string Thumbprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(SHA256.HashData(certificate.RawDataMemory.Span));
    }

    /// <summary>Whether <paramref name="thumbprint"/> has a thumbprint's form (64 upper-case hex digits).</summary>
    public static bool IsThumbprint(string? thumbprint) =>
        thumbprint is { Length: ThumbprintLength } && thumbprint.All(c => char.IsAsciiDigit(c) || c is >= 'A' and <= 'F');

    /// <summary>
    /// The thumbprint of the first certificate in <paramref name="pem"/> (a <c>-----BEGIN CERTIFICATE-----</c> block;
    /// a chain after it is ignored), or null with <paramref name="reason"/> when there is none. The reason never
    /// echoes the text: it may be anything a caller sent.
    /// </summary>
    public static string? ThumbprintOfPem(string? pem, out string? reason)
    {
        reason = null;
        if (string.IsNullOrWhiteSpace(pem))
        {
            reason = "required: a PEM certificate (-----BEGIN CERTIFICATE-----)";
            return null;
        }

        if (pem.Length > MaxPemLength)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"{pem.Length} characters, at most {MaxPemLength}");
            return null;
        }

        try
        {
            using var certificate = X509Certificate2.CreateFromPem(pem);
            return Thumbprint(certificate);
        }
        catch (CryptographicException)
        {
            reason = "not a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)";
            return null;
        }
    }

    /// <summary>A thumbprint shortened for a table: its first 16 digits, which no two certificates of a shop share.</summary>
    public static string Abbreviate(string thumbprint) =>
        thumbprint.Length <= 16 ? thumbprint : thumbprint[..16] + "…";
}
