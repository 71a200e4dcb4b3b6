using System.Globalization;
using Bakong.OpenApi.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bakong.OpenApi.Tokens;

/// <summary>
/// Degraded from the warning window on; Unhealthy once the token is expired or missing — except against the sandbox,
/// where a missing token is an inconvenience, not an outage, so it stays Degraded.
/// </summary>
internal sealed class TokenHealthCheck(BakongTokenManager manager) : IHealthCheck
{
    public const string Name = "bakong-token";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = manager.CheckExpiry();
        var data = new Dictionary<string, object>
        {
            ["environment"] = status.Environment.ToString(),
            ["state"] = status.State.ToString(),
        };
        if (status.ExpiresAt is { } expiresAt)
        {
            data["expiresAt"] = expiresAt.ToString("u", CultureInfo.InvariantCulture);
        }

        if (status.DaysLeft is { } daysLeft)
        {
            data["daysLeft"] = daysLeft;
        }

        var description = TokenOnboarding.Describe(status);
        var failing = status.Environment == BakongEnvironment.Sandbox ? HealthStatus.Degraded : HealthStatus.Unhealthy;
        var result = status.State switch
        {
            TokenState.Healthy => HealthCheckResult.Healthy(description, data),
            TokenState.ExpiringSoon => HealthCheckResult.Degraded(description, data: data),
            _ => new HealthCheckResult(failing, description, data: data),
        };
        return Task.FromResult(result);
    }
}
