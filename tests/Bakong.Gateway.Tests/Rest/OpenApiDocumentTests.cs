using System.Net;
using System.Text.Json;
using Bakong.Gateway.Tests.Access;

namespace Bakong.Gateway.Tests.Rest;

/// <summary>
/// <c>/openapi/v1.json</c>: the REST twin described from the protos, the same as the committed docs/openapi/v1.json.
/// <c>BAKONG_UPDATE_OPENAPI=1</c> writes the served document there instead of comparing (.ci/run does, then git diff).
/// </summary>
public sealed class OpenApiDocumentTests(SharedGateway shared) : SharedGatewayTest(shared)
{
    private const string DocumentPath = "/openapi/v1.json";

    [Fact]
    public async Task The_served_document_is_the_committed_docs_openapi_v1_json()
    {
        using var http = Gateway.CreateClient();
        var served = await http.GetStringAsync(new Uri(DocumentPath, UriKind.Relative), Ct);
        var committed = Path.Combine(RepositoryRoot(), "docs", "openapi", "v1.json");

        if (Environment.GetEnvironmentVariable("BAKONG_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(committed, served, Ct);
        }

        Assert.True(
            File.Exists(committed) && served == await File.ReadAllTextAsync(committed, Ct),
            "docs/openapi/v1.json is not what the gateway serves: run BAKONG_UPDATE_OPENAPI=1 dotnet test --project tests/Bakong.Gateway.Tests -- --filter-class \"*OpenApiDocumentTests\"");
    }

    [Fact]
    public async Task The_document_has_every_rest_route_with_its_method_and_the_protos_comments()
    {
        using var http = Gateway.CreateClient();
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(DocumentPath, UriKind.Relative), Ct));
        var paths = document.RootElement.GetProperty("paths");

        var routes = paths.EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => m.Name + " " + p.Name))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
            [
                "get /v1/payments",
                "get /v1/payments/{paymentId}",
                "get /v1/payments/{paymentId}:watch",

                // The admin API's WatchPayments (operators only): every terminal's payments on one stream.
                "get /v1/payments:watch",
                "get /v1/terminals/{terminalId}:watch",
                "post /v1/payments",
                "post /v1/payments/{paymentId}:cancel",

                // The admin API's ResolvePayment (operators only) lives under the payment routes it resolves.
                "post /v1/payments/{paymentId}:resolve",
                "post /v1/transactions:verify",
            ],
            routes);
        var create = paths.GetProperty("/v1/payments").GetProperty("post");
        Assert.Contains("request_id", create.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.True(document.RootElement.GetProperty("components").GetProperty("schemas").TryGetProperty("CreatePaymentRequest", out _));
        Assert.Equal("bearer", document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task The_document_is_served_without_a_key_when_the_gateway_needs_keys()
    {
        await using var gateway = ApiKeys.Gateway();
        using var http = gateway.CreateClient();

        using var document = await http.GetAsync(new Uri(DocumentPath, UriKind.Relative), Ct);
        using var call = await http.GetAsync(new Uri("/v1/payments", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal("application/json", document.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, call.StatusCode);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bakong.Grpc.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Bakong.Grpc.sln not found above " + AppContext.BaseDirectory);
    }
}
