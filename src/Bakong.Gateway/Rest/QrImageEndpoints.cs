using Bakong.Gateway.Access;
using Bakong.Gateway.Kiosk;
using Bakong.Gateway.QrImages;
using Bakong.Gateway.Rpc;
using Bakong.Payments;
using Bakong.Payments.Reading;
using Grpc.Core;
using Microsoft.Net.Http.Headers;

namespace Bakong.Gateway.Rest;

/// <summary>
/// <c>GET /payments/{id}/qr.png</c> and <c>/qr.svg</c> (<c>?style=plain|card&amp;size=N</c>) on the web endpoint:
/// 404 for an unknown payment, 400 (a <c>google.rpc.BadRequest</c> naming the parameter) for a bad query or id, both
/// the JSON <c>google.rpc.Status</c> of REST (<see cref="StatusJson"/>). Here, beside the other HTTP edges, so the QR
/// library (<c>QrImages</c>, which the gRPC mapping uses too) needs nothing of the error mapping. A payment's QR never
/// changes, so the image is cacheable forever, with a strong ETag for revalidation.
/// </summary>
/// <remarks>
/// Behind the same key as the payment API (these are plain HTTP routes, not gRPC, so the interceptor does not see
/// them): 401 without a valid key, and another terminal's payment is 404, word for word as one that does not exist.
/// The cache is <c>private</c>: a shared cache must not hand one caller's image to another.
/// </remarks>
internal static class QrImageEndpoints
{
    private const string PngRoute = "/payments/{paymentId}/qr.png";
    private const string SvgRoute = "/payments/{paymentId}/qr.svg";
    private const string CacheForever = "private, max-age=31536000, immutable";

    public static IEndpointRouteBuilder MapQrImages(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(PngRoute,
            (string paymentId, HttpContext http, PaymentReader reader, CallerAuthentication authentication, RefusalMetrics refusals) =>
                ServeAsync(paymentId, QrImageFormat.Png, http, reader, authentication, refusals));
        endpoints.MapGet(SvgRoute,
            (string paymentId, HttpContext http, PaymentReader reader, CallerAuthentication authentication, RefusalMetrics refusals) =>
                ServeAsync(paymentId, QrImageFormat.Svg, http, reader, authentication, refusals));
        return endpoints;
    }

    private static async Task<IResult> ServeAsync(
        string paymentId, QrImageFormat format, HttpContext http, PaymentReader reader, CallerAuthentication authentication, RefusalMetrics refusals)
    {
        SecurityHeaders.Apply(http.Response, SecurityHeaders.ImagePolicy);
        // Before the id is looked at: without a key, nothing about the payment (not even a bad id) is answered.
        var outcome = authentication.Authenticate(
            http.Request.Headers.Authorization is { Count: 1 } authorization ? authorization[0] : null, http.Connection.ClientCertificate);
        if (outcome.Caller is not { } caller)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(QrImageEndpoints).FullName!);
            var route = format == QrImageFormat.Png ? "GET " + PngRoute : "GET " + SvgRoute;
            outcome.LogRefusal(logger, route, http.Connection.RemoteIpAddress?.ToString() ?? "-");
            refusals.CountHttp(route, StatusCode.Unauthenticated);
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return StatusJson.Result(StatusCodes.Status401Unauthorized, new Google.Rpc.Status
            {
                Code = (int)Google.Rpc.Code.Unauthenticated,
                Message = outcome.CertificateRefusal ?? "This image needs an API key: send 'authorization: Bearer <key>' with a key from 'bakong clients add' that is not revoked.",
            });
        }

        var query = http.Request.Query;
        var violations = new List<FieldViolation>();
        if (Identifier.Check(paymentId, "payment_id", PaymentLimits.PaymentId) is { } badId)
        {
            violations.Add(badId);
        }

        var spec = QrImageSpec.FromQuery(format, Single(query["style"]), Single(query["size"]), violations);
        if (spec is null || violations.Count > 0)
        {
            return StatusJson.Result(StatusCodes.Status400BadRequest, RpcErrors.InvalidArgument(violations));
        }

        var payment = await reader.FindAsync(paymentId, http.RequestAborted).ConfigureAwait(false);
        if (payment is null || !AccessPolicy.MaySee(caller, payment))
        {
            return StatusJson.Result(StatusCodes.Status404NotFound, RpcErrors.PaymentNotFound(paymentId));
        }

        var etag = new EntityTagHeaderValue(
            "\"" + payment.Md5 + "-" + spec.Format + "-" + spec.Style + "-" + spec.Size + "-" + QrImageRenderer.Revision + "\"");
        var headers = http.Response.GetTypedHeaders();
        headers.ETag = etag;
        http.Response.Headers.CacheControl = CacheForever;
        var ifNoneMatch = http.Request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(t => t.Tag == etag.Tag || t == EntityTagHeaderValue.Any))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        var image = QrImageRenderer.Render(payment, spec);
        return Results.Bytes(image.Data, image.ContentType);
    }

    /// <summary>A query value given once; a repeated parameter counts as a bad one (an empty string).</summary>
    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => "",
        };
}
