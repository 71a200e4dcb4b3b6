using System.Text;
using Microsoft.Net.Http.Headers;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// A REST write (a POST to the payment API) must say it is JSON: <c>Content-Type: application/json</c> (or a
/// <c>+json</c> type). A browser sends a cross-site POST with <c>text/plain</c>, a form type or no body without asking
/// the gateway first (no CORS preflight), so any web page a till's browser opened could cancel a customer's payment
/// (<c>POST /v1/payments/{id}:cancel</c> has no body). A JSON type is not a "simple" request: the browser asks first,
/// and <c>Cors:AllowedOrigins</c> decides. gRPC and gRPC-Web (<c>application/grpc*</c>) are not REST and pass; so does
/// the sandbox, whose endpoints read JSON bodies themselves. Refused: 415 with the JSON <c>google.rpc.Status</c> body
/// the REST errors use.
/// </summary>
internal static class JsonWrites
{
    private static readonly byte[] s_unsupportedBody = Encoding.UTF8.GetBytes(
        """{"code":3,"message":"A REST call that changes something must send 'Content-Type: application/json' (a body of {} where the call takes none).","details":[]}""");

    public static IApplicationBuilder UseJsonWrites(this IApplicationBuilder app) =>
        app.Use(next => context => IsRefused(context.Request) ? RefuseAsync(context) : next(context));

    private static bool IsRefused(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method) || request.Path.StartsWithSegments(GatewayHost.SandboxPrefix, StringComparison.OrdinalIgnoreCase))
        {
            // Other methods always make a browser ask first (PUT, DELETE, PATCH) or change nothing (GET).
            return false;
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type))
        {
            return true;
        }

        return !(type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)
            || type.MediaType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase));
    }

    private static Task RefuseAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.Body.WriteAsync(s_unsupportedBody, context.RequestAborted).AsTask();
    }
}
