using System.Text.Json;
using Bakong.Display;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bakong.Gateway.Health;

/// <summary>
/// Health over plain HTTP on the Web endpoint, for load balancers and orchestrators that do not speak grpc.health.v1:
/// <c>/healthz</c> (liveness: the process answers; runs no check) and <c>/readyz</c> (readiness: the same checks, by
/// the same <see cref="ServesPayments"/>, as grpc.health.v1's <c>""</c> and <c>bakong.payments.v1.PaymentService</c>).
/// Open to anyone, as grpc.health.v1 is: the answer is each check's name and status, never a description, an
/// exception or a check's data (a host name or an error message is not for whoever can reach the port).
/// </summary>
internal static class HttpHealthEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    /// <summary>
    /// The checks that decide whether payments can be served: the payment store, Bakong and its token. A display is
    /// its own grpc.health.v1 service: a dead display never makes payments unready.
    /// </summary>
    /// <param name="tags">The check's tags.</param>
    public static bool ServesPayments(IEnumerable<string> tags) => !tags.Contains(DisplayHealthCheck.Tag);

    public static IEndpointRouteBuilder MapHttpHealth(this IEndpointRouteBuilder endpoints)
    {
        // Healthy and Degraded (a token expiring soon) are 200, Unhealthy is 503: what grpc.health.v1 says as
        // SERVING and NOT_SERVING. Both answers are sent with Cache-Control: no-store.
        endpoints.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        endpoints.MapHealthChecks(ReadinessPath, new HealthCheckOptions { Predicate = c => ServesPayments(c.Tags), ResponseWriter = WriteAsync });
        return endpoints;
    }

    /// <summary><c>{"status":"Unhealthy","checks":{"payment-store":"Healthy","bakong-token":"Unhealthy",…}}</c>.</summary>
    private static async Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteString(name, entry.Status.ToString());
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }
}
