using System.Net;
using System.Text.Json;
using Bakong.OpenApi.Tokens;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Bakong.Gateway.Tests;

/// <summary>
/// <c>/healthz</c> and <c>/readyz</c> on the Web endpoint, for load balancers that do not speak grpc.health.v1:
/// small JSON, open to anyone, and readiness says what grpc.health.v1 says.
/// </summary>
public sealed class HttpHealthTests : GatewayTest
{
    [Fact]
    public async Task Healthz_answers_200_healthy_without_running_a_check()
    {
        var (status, body) = await GetAsync(Gateway, "/healthz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"status":"Healthy","checks":{}}""", body);
    }

    [Fact]
    public async Task Readyz_in_sandbox_mode_is_200_and_names_the_store_bakong_and_token_checks()
    {
        var (status, body) = await GetAsync(Gateway, "/readyz");

        Assert.Equal(HttpStatusCode.OK, status);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("Healthy", json.GetProperty("status").GetString());
        var checks = json.GetProperty("checks").EnumerateObject().ToDictionary(c => c.Name, c => c.Value.GetString());
        Assert.Equal(
            new Dictionary<string, string?> { ["payment-store"] = "Healthy", ["bakong"] = "Healthy", ["bakong-token"] = "Healthy" },
            checks);
    }

    [Fact]
    public async Task Readyz_is_503_while_the_token_is_expired_and_200_once_renewed_as_grpc_health_says_and_never_shows_the_token()
    {
        await using var gateway = LiveModeTests.Live("Sit");
        var tokens = gateway.Services.GetRequiredService<BakongTokenManager>();
        var health = new Grpc.Health.V1.Health.HealthClient(gateway.Channel);
        var expired = LiveModeTests.Jwt(GatewayFactory.Start.AddDays(-1));
        tokens.Set(expired);

        var (notReady, notReadyBody) = await GetAsync(gateway, "/readyz");
        var grpcNotReady = (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct)).Status;
        tokens.Set(LiveModeTests.Jwt(GatewayFactory.Start.AddDays(60)));
        var (ready, _) = await GetAsync(gateway, "/readyz");
        var grpcReady = (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct)).Status;

        Assert.Equal((HttpStatusCode.ServiceUnavailable, ServingStatus.NotServing), (notReady, grpcNotReady));
        Assert.Equal((HttpStatusCode.OK, ServingStatus.Serving), (ready, grpcReady));
        var json = JsonDocument.Parse(notReadyBody).RootElement;
        Assert.Equal("Unhealthy", json.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", json.GetProperty("checks").GetProperty("bakong-token").GetString());
        Assert.DoesNotContain(expired, notReadyBody, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost", notReadyBody, StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(GatewayFactory gateway, string path)
    {
        using var http = gateway.CreateClient();
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), Ct);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }
}
