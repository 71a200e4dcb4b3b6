namespace Bakong.OpenApi.Client;

/// <summary>
/// Where the authenticated client gets its bearer token. Implemented by the token manager; the client never stores
/// a token itself, so a renewed or newly set token is used by the very next call (hot swap, no restart).
/// </summary>
/// <remarks>
/// Declared by the client, which needs it, and implemented in <c>Bakong.OpenApi.Tokens</c>, which renews through the
/// client's registration API: the token lifecycle depends on the client, never the other way round.
/// </remarks>
public interface IBakongTokenSource
{
    /// <summary>The token to send now, or null when none is configured.</summary>
    ValueTask<BakongToken?> GetCurrentAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Called when Bakong answered 401 to <paramref name="rejected"/>. Renews through <c>/v1/renew_token</c> once for
    /// all concurrent callers (single flight): callers holding an older token than the current one get the current
    /// one without a new renewal. Returns the token to retry with, or null when renewal is not possible.
    /// </summary>
    ValueTask<BakongToken?> RenewAsync(BakongToken rejected, CancellationToken cancellationToken);
}
