using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Bakong.Testing;

/// <summary>
/// TLS certificates made in the test, each with its private key: the gateway's own (<see cref="Server"/>), and client
/// certificates for mutual TLS, valid from a day before to 30 days after <c>GatewayFactory.Start</c>, the gateway's
/// fake clock, and for TLS client authentication.
/// </summary>
public static class TestCertificates
{
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// A gateway's TLS server certificate with its RSA key, self-signed, for 127.0.0.1 and <paramref name="dnsNames"/>,
    /// valid from a day before to 30 days after now on the machine's clock: TLS clients check it by that clock, not the
    /// gateway's fake one.
    /// </summary>
    public static X509Certificate2 Server(params string[] dnsNames)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=pos-gateway.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        foreach (var name in dnsNames)
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        var now = TimeProvider.System.GetUtcNow();
        using var made = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>A self-signed client certificate.</summary>
    public static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = ClientRequest(subject, key).CreateSelfSigned(global::Bakong.Gateway.Tests.GatewayFactory.Start.AddDays(-1), global::Bakong.Gateway.Tests.GatewayFactory.Start.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A CA certificate (with its key) that can issue client certificates, valid for a year around the fake clock.</summary>
    public static X509Certificate2 Authority(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var made = request.CreateSelfSigned(global::Bakong.Gateway.Tests.GatewayFactory.Start.AddDays(-10), global::Bakong.Gateway.Tests.GatewayFactory.Start.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A client certificate issued by <paramref name="authority"/>.</summary>
    public static X509Certificate2 Issued(X509Certificate2 authority, string subject)
    {
        ArgumentNullException.ThrowIfNull(authority);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = ClientRequest(subject, key).Create(
            authority, global::Bakong.Gateway.Tests.GatewayFactory.Start.AddDays(-1), global::Bakong.Gateway.Tests.GatewayFactory.Start.AddDays(30), RandomNumberGenerator.GetBytes(16));
        using var withKey = made.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static CertificateRequest ClientRequest(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthenticationOid)], false));
        return request;
    }
}
