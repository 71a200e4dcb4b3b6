using System.Net;

namespace Bakong.Gateway.Configuration;

/// <summary>What the configured Kestrel endpoints are: the rules for keys, the sandbox and plaintext all ask it.</summary>
internal static class KestrelEndpoints
{
    /// <summary>
    /// Whether every configured Kestrel endpoint listens on a loopback address only. No endpoint configured means
    /// the defaults, which are loopback; a wildcard host (<c>*</c>, <c>+</c>, <c>0.0.0.0</c>, <c>[::]</c>) or a name
    /// other than <c>localhost</c> is not.
    /// </summary>
    public static bool EveryEndpointIsLoopback(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url && !IsLoopbackUrl(url))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsLoopbackUrl(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var hostStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
        string host;
        if (hostStart < url.Length && url[hostStart] == '[')
        {
            var close = url.IndexOf(']', hostStart);
            host = close < 0 ? url[hostStart..] : url[(hostStart + 1)..close];
        }
        else
        {
            var hostEnd = url.IndexOfAny([':', '/'], hostStart);
            host = hostEnd < 0 ? url[hostStart..] : url[hostStart..hostEnd];
        }

        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }
}
