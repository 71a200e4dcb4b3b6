using System.Security.Cryptography.X509Certificates;
using Bakong.Identity;
using Bakong.Identity.Storage;

namespace Bakong.Gateway.Access;

/// <summary>
/// Turns a call's <c>authorization</c> header, and the TLS client certificate its connection presented, into a
/// <see cref="Caller"/>. With API keys it asks the client store (a singleton held open for the gateway's life), so a
/// revoked key is refused on its next call.
/// </summary>
/// <remarks>
/// The one rule of mutual TLS: a key whose client is bound to a certificate (<see cref="ApiClient.CertificateThumbprint"/>)
/// is accepted only on a connection that presents exactly that certificate. No certificate (a plaintext endpoint, or
/// a TLS client that sent none) or another one is refused like a wrong key, with a reason that says so: the caller
/// holds a valid key, so telling it the key is bound gives nothing away. Clients not bound need no certificate.
/// </remarks>
internal sealed class CallerAuthentication
{
    private const string Scheme = "Bearer ";

    private readonly IClientStore? _store;

    public CallerAuthentication(GatewayAuthOptions auth, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(auth);
        ArgumentNullException.ThrowIfNull(services);
        Mode = auth.Effective;
        _store = Mode == AuthMode.ApiKeys ? services.GetRequiredService<IClientStore>() : null;
    }

    public AuthMode Mode { get; }

    /// <summary>The client store; null without API keys.</summary>
    public IClientStore? Store => _store;

    /// <summary>
    /// Who makes a call with this <c>authorization</c> header value on a connection that presented
    /// <paramref name="certificate"/> (null for none). Its <see cref="Authentication.Caller"/> is null when the call
    /// must be refused: no header, not a bearer key, an unknown, wrong or revoked key, or a key bound to a certificate
    /// the connection did not present.
    /// </summary>
    public Authentication Authenticate(string? authorization, X509Certificate2? certificate)
    {
        if (_store is null)
        {
            return new Authentication(Caller.Unrestricted, null, null, null);
        }

        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return new Authentication(null, null, null, null);
        }

        var key = authorization.AsSpan(Scheme.Length).Trim().ToString();
        var claimed = ApiKey.TryParse(key, out var clientId, out _) ? clientId : null;
        if (_store.Authenticate(key) is not { } client)
        {
            return new Authentication(null, claimed, null, null);
        }

        if (client.CertificateThumbprint is not { } bound)
        {
            return new Authentication(new Caller(client), claimed, null, null);
        }

        var presented = certificate is null ? null : ClientCertificate.Thumbprint(certificate);
        if (presented is null)
        {
            return new Authentication(null, claimed, "none",
                "This key's client is bound to a TLS client certificate: connect over https presenting that certificate (a plaintext endpoint never can).");
        }

        return string.Equals(presented, bound, StringComparison.Ordinal)
            ? new Authentication(new Caller(client) { PresentedCertificate = true }, claimed, null, null)
            : new Authentication(null, claimed, presented,
                "This key's client is bound to another TLS client certificate than the one this connection presented.");
    }
}

/// <summary>What <see cref="CallerAuthentication.Authenticate"/> decided.</summary>
/// <param name="Caller">The caller; null when the call must be refused (UNAUTHENTICATED, REST 401).</param>
/// <param name="ClaimedClientId">The client id the key names when it has the key's form, for the refusal's log line: never the key.</param>
/// <param name="PresentedCertificate">
/// Set when the key was valid but its client is bound to a certificate the connection did not present: <c>none</c>, or
/// the thumbprint of the certificate it presented (public), for the log.
/// </param>
/// <param name="CertificateRefusal">The reason for the caller then; null for any other refusal (which says nothing of why).</param>
internal sealed record Authentication(Caller? Caller, string? ClaimedClientId, string? PresentedCertificate, string? CertificateRefusal)
{
    /// <summary>Logs a refusal: which method, from where, and, for a certificate that did not match, what was presented.</summary>
    public void LogRefusal(ILogger logger, string method, string peer)
    {
        if (PresentedCertificate is { } presented)
        {
            AccessLog.CertificateMismatch(logger, method, ClaimedClientId ?? "-", presented, peer);
        }
        else
        {
            AccessLog.Unauthenticated(logger, method, ClaimedClientId ?? "-", peer);
        }
    }
}
