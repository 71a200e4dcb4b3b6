using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;

namespace Bakong.Gateway.Health;

/// <summary>
/// Whether a payment may be created now as far as the Bakong token goes. Outside Sandbox a payment is confirmed PAID
/// only by Bakong's answers, which need the token: with none, or an expired one, every QR handed out would stay
/// PENDING until it expired while the customer's money arrived. The sandbox issues its own token, so it never waits
/// here. The same state makes the <c>bakong-token</c> health check, and so the gateway's readiness, Unhealthy.
/// </summary>
internal sealed class BakongTokenGate(BakongTokenManager tokens)
{
    /// <summary>Null when payments can be created; otherwise the token's status, which says why not (never the token).</summary>
    public TokenStatus? Refusal()
    {
        if (tokens.Environment == BakongEnvironment.Sandbox)
        {
            return null;
        }

        // CheckExpiry also warns the operator in the log, at most once a day per state.
        var status = tokens.CheckExpiry();
        return status.IsUsable ? null : status;
    }
}
