using System.Text.Json;
using Bakong.Gateway.Rpc;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.WebUtilities;

namespace Bakong.Gateway.Rest;

/// <summary>
/// The one error format of the Web endpoint: a JSON <c>google.rpc.Status</c> (<c>{"code":..,"message":..,"details":[..]}</c>,
/// compact, details by <c>@type</c>), what REST's transcoding writes for a failed call. Used by the QR images, and for
/// any error answered without a body (an unknown route, a method a route does not take, a 401/403 from a check that
/// writes none), so a client parses one shape whatever failed. The simulated Bakong under <c>/sandbox</c> keeps
/// Bakong's own formats. Messages here are fixed text: nothing the client sent is echoed.
/// </summary>
internal static class StatusJson
{
    public const string ContentType = "application/json; charset=utf-8";

    private static readonly JsonFormatter s_formatter = new(
        JsonFormatter.Settings.Default.WithTypeRegistry(RpcErrors.DetailTypes).WithFormatDefaultValues(true));

    /// <summary>A result that answers <paramref name="httpStatus"/> with <paramref name="status"/> as JSON.</summary>
    public static IResult Result(int httpStatus, Google.Rpc.Status status) =>
        Results.Text(Serialize(status), ContentType, statusCode: httpStatus);

    /// <summary>A result that answers <paramref name="httpStatus"/> with <paramref name="error"/>'s status, details included.</summary>
    public static IResult Result(int httpStatus, RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Result(httpStatus, error.GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)error.StatusCode, Message = error.Status.Detail });
    }

    /// <summary>The JSON of <paramref name="status"/>, compact as the transcoding writes it.</summary>
    public static string Serialize(Google.Rpc.Status status)
    {
        ArgumentNullException.ThrowIfNull(status);
        using var parsed = JsonDocument.Parse(s_formatter.Format(status));
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            parsed.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Errors with no body (404 for an unknown route, 405, a bare 401/403, ...) get the status JSON for their HTTP code.
    /// An error written with a body (REST's own, /readyz's 503) is left as it is.
    /// </summary>
    public static IApplicationBuilder UseStatusJsonForBodylessErrors(this IApplicationBuilder app, PathString except) =>
        app.UseStatusCodePages(context =>
        {
            var http = context.HttpContext;
            if (http.Request.Path.StartsWithSegments(except))
            {
                return Task.CompletedTask;
            }

            var code = http.Response.StatusCode;
            http.Response.ContentType = ContentType;
            return http.Response.WriteAsync(
                Serialize(new Google.Rpc.Status { Code = (int)CodeOf(code), Message = MessageOf(code) }), http.RequestAborted);
        });

    /// <summary>The gRPC code of an HTTP status, as the transcoding maps them the other way.</summary>
    public static Code CodeOf(int httpStatus) => httpStatus switch
    {
        StatusCodes.Status400BadRequest => Code.InvalidArgument,
        StatusCodes.Status401Unauthorized => Code.Unauthenticated,
        StatusCodes.Status403Forbidden => Code.PermissionDenied,
        StatusCodes.Status404NotFound => Code.NotFound,
        StatusCodes.Status405MethodNotAllowed or StatusCodes.Status501NotImplemented => Code.Unimplemented,
        StatusCodes.Status409Conflict => Code.Aborted,
        StatusCodes.Status413PayloadTooLarge or StatusCodes.Status429TooManyRequests => Code.ResourceExhausted,
        StatusCodes.Status503ServiceUnavailable => Code.Unavailable,
        StatusCodes.Status504GatewayTimeout => Code.DeadlineExceeded,
        >= 400 and < 500 => Code.InvalidArgument,
        _ => Code.Internal,
    };

    private static string MessageOf(int httpStatus) => httpStatus switch
    {
        StatusCodes.Status401Unauthorized => "A valid API key is required: send 'authorization: Bearer <key>'.",
        StatusCodes.Status403Forbidden => "This API key may not do this.",
        StatusCodes.Status404NotFound => "Nothing is served at this path (the REST API is under /v1/payments, see /openapi/v1.json).",
        StatusCodes.Status405MethodNotAllowed => "This path does not take this HTTP method.",
        _ => ReasonPhrases.GetReasonPhrase(httpStatus) + ".",
    };
}
