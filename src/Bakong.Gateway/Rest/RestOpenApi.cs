using Microsoft.OpenApi.Models;

namespace Bakong.Gateway.Rest;

/// <summary>
/// The REST twin's OpenAPI document at <c>/openapi/v1.json</c> on the Web endpoint: generated from the transcoded
/// routes (the protos' <c>google.api.http</c> options) and their comments, so it cannot drift from the contract; the
/// committed copy (docs/openapi/v1.json) is checked against it in CI. Open to anyone, like the protos in the repository:
/// it describes the API and holds no data (the calls it describes still need a key).
/// </summary>
internal static class RestOpenApi
{
    public const string Path = "/openapi/v1.json";

    private const string DocumentName = "v1";
    private const string Bearer = "bearer";

    public static IServiceCollection AddRestOpenApi(this IServiceCollection services)
    {
        services.AddGrpcSwagger();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Bakong.Grpc PaymentService (REST)",
                Version = DocumentName,
                Description = "bakong.payments.v1.PaymentService as JSON over HTTP/1.1 (gRPC JSON transcoding). Errors are a JSON "
                    + "google.rpc.Status ({\"code\",\"message\",\"details\"}); WatchPayment, WatchTerminal and WatchPayments answer one JSON object per line. "
                    + "See docs/rest.md.",
            });

            // Only the payment API (its payments, a terminal's watch and receipt verification): the sandbox's control API, QR
            // images, health, the admin API and the kiosk page are documented elsewhere.
            o.DocInclusionPredicate((_, api) => api.RelativePath is { } path
                && (path.StartsWith("v1/payments", StringComparison.Ordinal)
                    || path.StartsWith("v1/terminals", StringComparison.Ordinal)
                    || path.StartsWith("v1/transactions", StringComparison.Ordinal)));

            // Schemas are named after their type, except a message nested in another (protoc puts it in Outer.Types),
            // named after both: WatchTerminalResponse and WatchPaymentsResponse each have a CaughtUp.
            o.CustomSchemaIds(t => t is { IsClass: true, DeclaringType: { Name: "Types", DeclaringType: { } outer } } ? outer.Name + t.Name : t.Name);

            // The generated contract's XML comments are the protos' comments (Grpc.Tools copies them).
            var comments = System.IO.Path.Combine(AppContext.BaseDirectory, typeof(RestOpenApi).Assembly.GetName().Name + ".xml");
            if (File.Exists(comments))
            {
                o.IncludeGrpcXmlComments(comments, includeControllerXmlComments: true);
            }

            o.AddSecurityDefinition(Bearer, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key from `bakong clients add` (bk_<client id>_<secret>). A Sandbox gateway on loopback needs none.",
            });
            o.AddSecurityRequirement(new OpenApiSecurityRequirement
            {
                [new OpenApiSecurityScheme { Reference = new OpenApiReference { Type = ReferenceType.SecurityScheme, Id = Bearer } }] = [],
            });
        });
        return services;
    }

    public static IApplicationBuilder UseRestOpenApi(this IApplicationBuilder app) =>
        app.UseSwagger(o => o.RouteTemplate = "openapi/{documentName}.json");
}
