using Bakong.OpenApi.Client;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Configuration;

/// <summary>
/// What the network may see of the gateway, decided at start from the Kestrel endpoints (docs/security.md
/// 'Transport'). TLS itself is Kestrel's own <c>Kestrel:Endpoints:&lt;name&gt;:Certificate</c>; here: may an endpoint
/// off loopback serve plaintext (<c>Network:AllowPlaintext</c>), and which <c>Host</c> names are answered (ASP.NET
/// Core's <c>AllowedHosts</c>, against DNS rebinding: a web page whose name is made to resolve to the gateway's
/// address must not reach it from a browser on the shop's network).
/// </summary>
internal sealed class GatewayNetworkOptions
{
    public const string AllowPlaintextKey = "Network:AllowPlaintext";
    public const string AllowedHostsKey = "AllowedHosts";

    /// <summary>The names every gateway answers to: the loopback ones (a port given by the client is not compared).</summary>
    public static readonly IReadOnlyList<string> LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    private GatewayNetworkOptions(IReadOnlyList<string> plaintextEndpoints, IReadOnlyList<string>? derivedHosts, bool anyHost)
    {
        PlaintextEndpoints = plaintextEndpoints;
        DerivedHosts = derivedHosts;
        AnyHost = anyHost;
    }

    /// <summary>The endpoints (<c>Kestrel:Endpoints:&lt;name&gt;:Url</c> keys with their value) serving plaintext off loopback.</summary>
    public IReadOnlyList<string> PlaintextEndpoints { get; }

    /// <summary>The host names the gateway chose because <c>AllowedHosts</c> is not set; null when it is set (or <see cref="AnyHost"/>).</summary>
    public IReadOnlyList<string>? DerivedHosts { get; }

    /// <summary>Any <c>Host</c> is answered: Sandbox mode on a wildcard address with no <c>AllowedHosts</c>.</summary>
    public bool AnyHost { get; }

    /// <summary>Reads the endpoints and decides now, so a refused network setup stops the start naming the setting.</summary>
    /// <exception cref="OptionsValidationException">Plaintext off loopback, or no host list, in Sit or Production.</exception>
    public static GatewayNetworkOptions Read(IConfiguration configuration, GatewayBakongOptions bakong)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(bakong);
        var live = bakong.Environment != BakongEnvironment.Sandbox;
        var allowPlaintext = configuration.GetValue<bool>(AllowPlaintextKey);
        var configuredHosts = configuration[AllowedHostsKey];
        var failures = new List<string>();
        var plaintext = new List<string>();
        var hosts = new List<string>(LoopbackHosts);
        var wildcard = (string?)null;
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is not { Length: > 0 } url)
            {
                continue;
            }

            var key = "Kestrel:Endpoints:" + endpoint.Key + ":Url";
            if (KestrelEndpoints.IsLoopbackUrl(url))
            {
                continue;
            }

            if (!url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                plaintext.Add(key + "=" + url);
                if (live && !allowPlaintext)
                {
                    failures.Add(
                        $"{key} is '{url}': in Bakong:Mode {bakong.Environment} an endpoint off loopback must use https (an https:// URL and Kestrel:Endpoints:{endpoint.Key}:Certificate, docs/security.md), or set {AllowPlaintextKey}=true to serve plaintext on a network you trust.");
                }
            }

            var host = HostOf(url);
            if (host is "*" or "+" or "0.0.0.0" or "[::]")
            {
                wildcard ??= key + "=" + url;
            }
            else if (!hosts.Contains(host, StringComparer.OrdinalIgnoreCase))
            {
                hosts.Add(host);
            }
        }

        var hostsSet = !string.IsNullOrWhiteSpace(configuredHosts);
        if (wildcard is not null && !hostsSet && live)
        {
            failures.Add(
                $"{AllowedHostsKey} must list the names clients reach the gateway by (e.g. AllowedHosts=pos-gateway.shop.lan;192.168.1.10) when an endpoint listens on every address ({wildcard}): it keeps web pages on other names out (DNS rebinding).");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(GatewayNetworkOptions), failures);
        }

        var anyHost = wildcard is not null && !hostsSet;
        return new GatewayNetworkOptions(plaintext, hostsSet || anyHost ? null : hosts, anyHost);
    }

    /// <summary>Sets ASP.NET Core's host filtering to <see cref="DerivedHosts"/> (or any host) when <c>AllowedHosts</c> is not set.</summary>
    public void Configure(HostFilteringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (AnyHost)
        {
            options.AllowedHosts = ["*"];
        }
        else if (DerivedHosts is not null)
        {
            options.AllowedHosts = [.. DerivedHosts];
        }
    }

    private static string HostOf(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var start = schemeEnd < 0 ? 0 : schemeEnd + 3;
        if (start < url.Length && url[start] == '[')
        {
            var close = url.IndexOf(']', start);
            return close < 0 ? url[start..] : url[start..(close + 1)];
        }

        var end = url.IndexOfAny([':', '/'], start);
        return end < 0 ? url[start..] : url[start..end];
    }
}
