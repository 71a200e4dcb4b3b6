using Bakong.Identity;
using Bakong.Identity.Storage;

namespace Bakong.Gateway.Access;

/// <summary>
/// Turns a call's <c>authorization</c> header into a <see cref="Caller"/>. With API keys it asks the client store (a
/// singleton held open for the gateway's life), so a revoked key is refused on its next call.
/// </summary>
internal sealed class CallerAuthentication
{
    private const string Scheme = "Bearer ";

    private readonly ClientStore? _store;

    public CallerAuthentication(GatewayAuthOptions auth, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(auth);
        ArgumentNullException.ThrowIfNull(services);
        Mode = auth.Effective;
        _store = Mode == AuthMode.ApiKeys ? services.GetRequiredService<ClientStore>() : null;
    }

    public AuthMode Mode { get; }

    /// <summary>The client store; null without API keys.</summary>
    public ClientStore? Store => _store;

    /// <summary>
    /// The caller of a call with this <c>authorization</c> header value; null when it must be refused (no header, not
    /// a bearer key, an unknown, wrong or revoked key). <paramref name="claimedClientId"/> is the id the key names when
    /// it has the key's form, for the refusal's log line: never the key.
    /// </summary>
    public Caller? Authenticate(string? authorization, out string? claimedClientId)
    {
        claimedClientId = null;
        if (_store is null)
        {
            return Caller.Unrestricted;
        }

        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var key = authorization.AsSpan(Scheme.Length).Trim().ToString();
        if (ApiKey.TryParse(key, out var clientId, out _))
        {
            claimedClientId = clientId;
        }

        return _store.Authenticate(key) is { } client ? new Caller(client) : null;
    }
}
