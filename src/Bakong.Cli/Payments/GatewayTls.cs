using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Bakong.Cli.Payments;

/// <summary>
/// The TLS side of a command's connection to a gateway over https, from the environment (as libpq's PGSSLROOTCERT,
/// PGSSLCERT and PGSSLKEY): the CA certificates the gateway's certificate must chain to instead of the machine's trust
/// store (<see cref="AuthorityVariable"/>), and the client certificate to present for mutual TLS
/// (<see cref="CertificateVariable"/>, its private key in the same PEM file or in <see cref="KeyVariable"/>).
/// </summary>
/// <remarks>
/// <see cref="CliApp"/> reads them once per command that has <c>--server</c> and sets <see cref="Current"/>;
/// <see cref="GatewayClient.Open"/> applies it to every channel the command opens. A plaintext (http://) channel never
/// sends a certificate.
/// </remarks>
internal sealed class GatewayTls : IDisposable
{
    public const string AuthorityVariable = "BAKONG_TLS_CA";
    public const string CertificateVariable = "BAKONG_TLS_CERTIFICATE";
    public const string KeyVariable = "BAKONG_TLS_KEY";

    /// <summary>The running command's TLS settings; null when none of the variables is set.</summary>
    internal static readonly AsyncLocal<GatewayTls?> Current = new();

    private const int MaxPemBytes = 1024 * 1024;
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    private readonly X509Certificate2? _clientCertificate;
    private readonly X509Certificate2Collection? _authorities;

    private GatewayTls(X509Certificate2? clientCertificate, X509Certificate2Collection? authorities)
    {
        _clientCertificate = clientCertificate;
        _authorities = authorities;
    }

    /// <summary>
    /// Reads the variables through <paramref name="variables"/>: null with no error when none is set; null and the one
    /// line to print when a file cannot be used (it names the variable and the path, never the file's content).
    /// </summary>
    public static GatewayTls? FromVariables(Func<string, string?> variables, out string? error)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var authorityPath = NonBlank(variables(AuthorityVariable));
        var certificatePath = NonBlank(variables(CertificateVariable));
        var keyPath = NonBlank(variables(KeyVariable));
        error = null;
        if (keyPath is not null && certificatePath is null)
        {
            error = $"{KeyVariable} is set but {CertificateVariable} is not: name the client certificate's PEM file in {CertificateVariable}.";
            return null;
        }

        if (authorityPath is null && certificatePath is null)
        {
            return null;
        }

        X509Certificate2Collection? authorities = null;
        if (authorityPath is not null && !TryLoadAuthorities(authorityPath, out authorities, out error))
        {
            return null;
        }

        X509Certificate2? certificate = null;
        if (certificatePath is not null && !TryLoadClientCertificate(certificatePath, keyPath, out certificate, out error))
        {
            DisposeAll(authorities);
            return null;
        }

        return new GatewayTls(certificate, authorities);
    }

    /// <summary>Presents the client certificate, and checks the gateway's certificate against the given CAs.</summary>
    public void Apply(SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_clientCertificate is { } certificate)
        {
            handler.SslOptions.ClientCertificates = [certificate];

            // Whatever CAs the gateway names as acceptable: the certificate it is bound to is what decides there.
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        if (_authorities is { } authorities)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, sent, errors) => ChainsTo(presented, sent, errors, authorities);
        }
    }

    public void Dispose()
    {
        _clientCertificate?.Dispose();
        DisposeAll(_authorities);
    }

    /// <summary>
    /// The gateway's certificate names the host, is for TLS servers, and chains to one of <paramref name="authorities"/>
    /// through the intermediates it sent.
    /// </summary>
    private static bool ChainsTo(X509Certificate? presented, X509Chain? sent, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        // The machine's trust store is replaced, the host name check is not.
        if (presented is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthenticationOid));
        if (sent is not null)
        {
            foreach (var element in sent.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var certificate = new X509Certificate2(presented);
        return chain.Build(certificate);
    }

    private static bool TryLoadAuthorities(string path, out X509Certificate2Collection? authorities, out string? error)
    {
        authorities = null;
        if (!TryRead(AuthorityVariable, path, out var pem, out error))
        {
            return false;
        }

        var loaded = new X509Certificate2Collection();
        try
        {
            loaded.ImportFromPem(pem);
        }
        catch (CryptographicException)
        {
            DisposeAll(loaded);
            loaded.Clear();
        }

        if (loaded.Count == 0)
        {
            error = $"{AuthorityVariable}: '{path}' holds no readable PEM certificate.";
            return false;
        }

        authorities = loaded;
        return true;
    }

    private static bool TryLoadClientCertificate(string path, string? keyPath, out X509Certificate2? certificate, out string? error)
    {
        certificate = null;
        string? keyPem = null;
        if (!TryRead(CertificateVariable, path, out var certificatePem, out error)
            || (keyPath is not null && !TryRead(KeyVariable, keyPath, out keyPem, out error)))
        {
            return false;
        }

        X509Certificate2 loaded;
        try
        {
            // Without a key file the key is looked for in the certificate's own file.
            loaded = X509Certificate2.CreateFromPem(certificatePem, keyPem ?? certificatePem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // No key or an encrypted one (CryptographicException), or the key of another certificate (ArgumentException).
            error = keyPath is null
                ? $"{CertificateVariable}: '{path}' needs a PEM certificate and its unencrypted private key; put the key in the same file or name its file in {KeyVariable}."
                : $"{CertificateVariable}, {KeyVariable}: '{path}' and '{keyPath}' are not a PEM certificate and its unencrypted private key.";
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            // A key read from PEM is ephemeral, and Windows' TLS (SChannel) will not use one; a PKCS#12 round trip
            // gives it one it will. Linux and macOS need none. Not tested on Windows.
            using (loaded)
            {
                certificate = X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
            }

            return true;
        }

        certificate = loaded;
        return true;
    }

    /// <summary>The file's text; files over <see cref="MaxPemBytes"/> are refused unread (a PEM file is a few KB).</summary>
    private static bool TryRead(string variable, string path, out string text, out string? error)
    {
        text = TextFile.Read(path, MaxPemBytes, "a PEM file", out var problem) ?? string.Empty;
        error = problem is null ? null : $"{variable} '{path}': {problem}.";
        return problem is null;
    }

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static void DisposeAll(X509Certificate2Collection? certificates)
    {
        foreach (var certificate in certificates ?? [])
        {
            certificate.Dispose();
        }
    }
}
