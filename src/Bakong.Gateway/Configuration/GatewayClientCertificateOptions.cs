using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bakong.Identity;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Configuration;

/// <summary>Whether the https endpoints ask callers for a TLS client certificate (<c>Network:ClientCertificates</c>).</summary>
internal enum ClientCertificatePolicy
{
    /// <summary>Not asked for: no client can be bound to a certificate and still authenticate.</summary>
    None,

    /// <summary>Asked for, not required: clients bound to a certificate present it, the others need not.</summary>
    Allow,

    /// <summary>Required: a TLS connection without a certificate is refused at the handshake.</summary>
    Require,
}

/// <summary>
/// Mutual TLS on the https endpoints (docs/security.md 'Mutual TLS'): whether a client certificate is asked for
/// (<c>Network:ClientCertificates</c>, Kestrel's <see cref="ClientCertificateMode"/> on every https endpoint), and
/// which certificates are let through the handshake. With <c>Network:ClientCertificateAuthority</c> (a PEM file of
/// CA certificates) a certificate must chain to one of them; without it any certificate in its validity dates is let
/// through, and only the thumbprint a client is bound to (checked in <c>Access/CallerAuthentication</c>) makes it
/// worth anything. Dates are the gateway's clock (<see cref="TimeProvider"/>) either way. Plaintext endpoints never
/// see a certificate.
/// </summary>
internal sealed class GatewayClientCertificateOptions
{
    public const string Section = "Network";
    public const string ModeKey = "Network:ClientCertificates";
    public const string AuthorityKey = "Network:ClientCertificateAuthority";

    // id-kp-clientAuth: a certificate whose key usage is restricted must allow TLS client authentication.
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    private X509Certificate2Collection? _authority;

    /// <summary><c>None</c>, <c>Allow</c> or <c>Require</c> in any case; empty for <c>None</c>.</summary>
    public string? ClientCertificates { get; set; }

    /// <summary>A PEM file of the CA certificates client certificates must chain to; empty to pin thumbprints only.</summary>
    public string? ClientCertificateAuthority { get; set; }

    /// <summary>The policy in force.</summary>
    public ClientCertificatePolicy Policy { get; private set; }

    /// <summary>How many CA certificates were read from <see cref="ClientCertificateAuthority"/>; 0 without one.</summary>
    public int AuthorityCount => _authority?.Count ?? 0;

    /// <summary>Reads the section and the CA file now, so a bad setting stops the start naming it.</summary>
    /// <exception cref="OptionsValidationException">A policy that is not one, or a CA file that cannot be read as certificates.</exception>
    public static GatewayClientCertificateOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new GatewayClientCertificateOptions();
        configuration.GetSection(Section).Bind(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClientCertificates))
        {
            options.Policy = ClientCertificatePolicy.None;
        }
        else if (Enum.TryParse<ClientCertificatePolicy>(options.ClientCertificates, ignoreCase: true, out var policy) && Enum.IsDefined(policy)
            && !int.TryParse(options.ClientCertificates, out _))
        {
            options.Policy = policy;
        }
        else
        {
            failures.Add($"{ModeKey} must be None, Allow or Require (got '{Shorten(options.ClientCertificates)}').");
        }

        if (!string.IsNullOrWhiteSpace(options.ClientCertificateAuthority))
        {
            try
            {
                var authority = new X509Certificate2Collection();
                authority.ImportFromPemFile(options.ClientCertificateAuthority);
                if (authority.Count == 0)
                {
                    failures.Add($"{AuthorityKey} is '{options.ClientCertificateAuthority}', which holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
                }
                else
                {
                    options._authority = authority;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                failures.Add($"{AuthorityKey} is '{options.ClientCertificateAuthority}', which cannot be read as PEM certificates ({e.Message}).");
            }
        }

        return failures.Count == 0 ? options : throw new OptionsValidationException(Options.DefaultName, typeof(GatewayClientCertificateOptions), failures);
    }

    /// <summary>Asks for client certificates on every https endpoint, and decides which are let through the handshake.</summary>
    public void ApplyTo(KestrelServerOptions kestrel, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        if (Policy == ClientCertificatePolicy.None)
        {
            return;
        }

        kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ClientCertificateMode = Policy == ClientCertificatePolicy.Require
                ? ClientCertificateMode.RequireCertificate
                : ClientCertificateMode.AllowCertificate;
            https.ClientCertificateValidation = (certificate, _, _) =>
            {
                var problem = Check(certificate, timeProvider.GetUtcNow());
                if (problem is not null)
                {
                    var thumbprint = ClientCertificate.Thumbprint(certificate);
                    NetworkLog.ClientCertificateRefused(logger, thumbprint, problem);
                }

                return problem is null;
            };
        });
    }

    /// <summary>Why <paramref name="certificate"/> may not pass the handshake at <paramref name="now"/>; null when it may.</summary>
    internal string? Check(X509Certificate2 certificate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (_authority is null)
        {
            // Self-signed or from any CA: the pinned thumbprint decides; only the dates are checked here.
            return now.UtcDateTime < certificate.NotBefore.ToUniversalTime() ? "not valid yet"
                : now.UtcDateTime > certificate.NotAfter.ToUniversalTime() ? "expired"
                : null;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthenticationOid));
        if (chain.Build(certificate))
        {
            return null;
        }

        var statuses = chain.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct();
        return "does not chain to " + AuthorityKey + " (" + string.Join(", ", statuses) + ")";
    }

    /// <summary>What the gateway says at start about client certificates.</summary>
    public void Log(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (Policy != ClientCertificatePolicy.None)
        {
            NetworkLog.ClientCertificates(logger, Policy, _authority is null ? "any certificate in its dates; the thumbprint a client is bound to decides" : "certificates that chain to " + ClientCertificateAuthority);
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
