using Bakong.Gateway.Configuration;
using Bakong.OpenApi.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Health;

/// <summary>
/// Whether Bakong can be reached: always Healthy with the in-process sandbox; otherwise Healthy when its host answers
/// HTTP at all (any status: the token's health is the <c>bakong-token</c> check's business), Unhealthy when it does
/// not answer within <see cref="s_timeout"/>. It makes no Open API call, so nothing is audited or rate-limited.
/// </summary>
internal sealed class BakongHealthCheck(
    IOptions<GatewayBakongOptions> gateway,
    IOptions<BakongOpenApiOptions> client,
    IHttpClientFactory httpClients) : IHealthCheck
{
    public const string Name = "bakong";
    public const string HttpClientName = "Bakong.Health";

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var baseUrl = client.Value.ResolveBaseAddress();
        var data = new Dictionary<string, object> { ["environment"] = client.Value.Environment.ToString(), ["baseUrl"] = baseUrl.ToString() };
        if (gateway.Value.HostsSandbox)
        {
            return HealthCheckResult.Healthy("The simulated Bakong runs in-process.", data);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName)
                .GetAsync(baseUrl, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            data["httpStatus"] = (int)response.StatusCode;
            return HealthCheckResult.Healthy("Bakong answers.", data);
        }
        catch (HttpRequestException e)
        {
            return HealthCheckResult.Unhealthy("Bakong cannot be reached: " + e.Message, data: data);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Bakong did not answer within " + s_timeout.TotalSeconds + " s.", data: data);
        }
    }
}
