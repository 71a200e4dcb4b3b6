using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Bakong.Gateway.Kiosk;

/// <summary>
/// The kiosk page at <c>/kiosk</c> and the operator dashboard at <c>/admin</c> (docs/dashboard.md): HTML, CSS and the
/// bundled gRPC-Web clients, embedded in the gateway assembly (<c>Kiosk/wwwroot</c>, the dashboard's under
/// <c>admin/</c>), so a fresh clone serves them with <c>dotnet run</c> alone. Both pages are static: what an operator
/// may see is decided by the admin API each call reaches with the page's key, never by serving the page. Revalidated by ETag on every load
/// (<c>no-cache</c>), so an upgraded gateway never leaves a kiosk on an old script.
/// </summary>
internal static class KioskEndpoints
{
    private const string ResourcePrefix = "kiosk/";

    /// <summary>Where the dashboard's files are among the embedded ones (<c>/kiosk/{file}</c> never matches a '/').</summary>
    private const string AdminPrefix = "admin/";

    private static readonly Lazy<FrozenDictionary<string, KioskFile>> s_files = new(Load);

    public static IEndpointRouteBuilder MapKiosk(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/kiosk", (HttpContext http) => Serve("index.html", http));
        endpoints.MapGet("/kiosk/{file}", (string file, HttpContext http) => Serve(file, http));
        endpoints.MapGet("/admin", (HttpContext http) => Serve(AdminPrefix + "index.html", http));
        endpoints.MapGet("/admin/{file}", (string file, HttpContext http) => Serve(AdminPrefix + file, http));
        return endpoints;
    }

    private static IResult Serve(string name, HttpContext http)
    {
        if (!s_files.Value.TryGetValue(name, out var file))
        {
            return Results.NotFound();
        }

        SecurityHeaders.Apply(http.Response, SecurityHeaders.PagePolicy);
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.GetTypedHeaders().ETag = file.ETag;
        if (http.Request.GetTypedHeaders().IfNoneMatch.Any(t => t.Tag == file.ETag.Tag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(file.Content, file.ContentType);
    }

    private static FrozenDictionary<string, KioskFile> Load()
    {
        var assembly = typeof(KioskEndpoints).Assembly;
        var files = new Dictionary<string, KioskFile>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..];
            var content = Read(assembly, resource);
            var etag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..20] + "\"");
            files[name] = new KioskFile(content, ContentTypeOf(name), etag);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException("Embedded kiosk file '" + resource + "' is missing.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".woff2" => "font/woff2",
        ".txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };

    private sealed record KioskFile(byte[] Content, string ContentType, EntityTagHeaderValue ETag);
}
