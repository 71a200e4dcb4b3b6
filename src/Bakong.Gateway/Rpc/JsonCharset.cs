using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// The charset of a JSON request, checked before an endpoint reads it. JSON transcoding (REST) and minimal APIs (the
/// sandbox) pass a JSON <c>Content-Type</c>'s charset to <see cref="Encoding.GetEncoding(string)"/> as it is, on every
/// request, body or not: a name it does not know (<c>bogus</c>, <c>utf8</c>, <c>utf-7</c>) or a quoted one
/// (<c>"utf-8"</c>, valid HTTP) threw, and the client got a 500. Here UTF-8 under any spelling becomes
/// <c>charset=utf-8</c>, other known encodings pass, and the rest is 415 with the JSON <c>google.rpc.Status</c> body
/// the REST errors use (the charset is not echoed).
/// </summary>
internal static class JsonCharset
{
    private static readonly byte[] s_unsupportedBody = Encoding.UTF8.GetBytes(
        """{"code":3,"message":"The request's charset is not supported: send JSON in UTF-8.","details":[]}""");

    public static IApplicationBuilder UseJsonCharsetCheck(this IApplicationBuilder app) =>
        app.Use(next => context => CheckAsync(context, next));

    private static Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !(type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
            || !type.Charset.HasValue)
        {
            return next(context);
        }

        var charset = HeaderUtilities.RemoveQuotes(type.Charset);
        if (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            charset = "utf-8";
        }
        else if (!IsKnown(charset.Value))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            context.Response.ContentType = "application/json; charset=utf-8";
            return context.Response.Body.WriteAsync(s_unsupportedBody, context.RequestAborted).AsTask();
        }

        if (!StringSegment.Equals(charset, type.Charset, StringComparison.Ordinal))
        {
            type.Charset = charset;
            context.Request.ContentType = type.ToString();
        }

        return next(context);
    }

    private static bool IsKnown(string? charset)
    {
        try
        {
            return !string.IsNullOrEmpty(charset) && Encoding.GetEncoding(charset) is not null;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return false;
        }
    }
}
