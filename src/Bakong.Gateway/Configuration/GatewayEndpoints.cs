namespace Bakong.Gateway.Configuration;

/// <summary>The Kestrel endpoints, docs/operations.md 'Endpoints': <c>Grpc</c> (HTTP/2), <c>Web</c> (HTTP/1.1).</summary>
internal static class GatewayEndpoints
{
    public const string GrpcUrlKey = "Kestrel:Endpoints:Grpc:Url";
    public const string WebUrlKey = "Kestrel:Endpoints:Web:Url";
    public const string DefaultGrpcUrl = "http://127.0.0.1:5080";
    public const string DefaultWebUrl = "http://127.0.0.1:5081";

    /// <summary>The port of the <c>Grpc</c> endpoint as configured; null when it is not a fixed port (unset, or 0).</summary>
    public static int? GrpcPort(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var url = configuration[GrpcUrlKey];
        if (string.IsNullOrWhiteSpace(url))
        {
            url = DefaultGrpcUrl;
        }

        // Kestrel accepts wildcard hosts that Uri does not: only the port matters here.
        var colon = url.LastIndexOf(':');
        var end = url.IndexOf('/', colon + 1);
        return colon > 0 && int.TryParse(end < 0 ? url[(colon + 1)..] : url[(colon + 1)..end], out var port) && port > 0 ? port : null;
    }

    /// <summary>Where the in-process sandbox's API is, seen from the gateway itself: <c>&lt;Web&gt;/sandbox/</c>.</summary>
    /// <remarks>A wildcard host (<c>*</c>, <c>+</c>, <c>0.0.0.0</c>, <c>[::]</c>) is reached on the loopback address.</remarks>
    public static Uri SandboxBaseUrl(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var url = configuration[WebUrlKey];
        if (string.IsNullOrWhiteSpace(url))
        {
            url = DefaultWebUrl;
        }

        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
        {
            var hostStart = schemeEnd + 3;
            var hostEnd = url.IndexOfAny(['/', ':'], url[hostStart] == '[' ? url.IndexOf(']', hostStart) : hostStart);
            var host = hostEnd < 0 ? url[hostStart..] : url[hostStart..hostEnd];
            var loopback = host switch
            {
                "*" or "+" or "0.0.0.0" => "127.0.0.1",
                "[::]" => "[::1]",
                _ => null,
            };
            if (loopback is not null)
            {
                url = url[..hostStart] + loopback + (hostEnd < 0 ? "" : url[hostEnd..]);
            }
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var web))
        {
            throw new InvalidOperationException(WebUrlKey + " must be an absolute URL (got '" + configuration[WebUrlKey] + "').");
        }

        return new Uri(web.GetLeftPart(UriPartial.Authority) + "/sandbox/");
    }
}
