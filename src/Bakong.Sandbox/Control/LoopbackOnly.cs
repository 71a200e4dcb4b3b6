using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bakong.Sandbox.Control;

/// <summary>
/// The control API answers only callers on this machine: it marks any payment PAID, so a peer on the network that
/// could reach it would be paid for nothing. A call from any other address is 404, as for a path that does not exist:
/// nothing tells the network that a sandbox is listening.
/// </summary>
internal static class LoopbackOnly
{
    /// <summary>
    /// Applies the rule to every endpoint of <paramref name="control"/>. It wraps each endpoint's whole request
    /// delegate, not as an endpoint filter, which would run only after the body is read and bound: a peer off loopback
    /// must get 404 whatever it sends, not a 400 that says the endpoint exists.
    /// </summary>
    public static TBuilder OnLoopbackOnly<TBuilder>(this TBuilder control)
        where TBuilder : IEndpointConventionBuilder
    {
        control.Finally(endpoint =>
        {
            var inner = endpoint.RequestDelegate
                ?? throw new InvalidOperationException("A control endpoint without a request delegate: " + endpoint.DisplayName);
            endpoint.RequestDelegate = http => IsLocal(http.Connection.RemoteIpAddress) ? inner(http) : RefuseAsync(http);
        });
        return control;
    }

    /// <summary>
    /// A loopback address, IPv4 mapped into IPv6 included; or none at all, which is a caller in the same process (a test
    /// host) or on a Unix socket, both on this machine.
    /// </summary>
    public static bool IsLocal(IPAddress? peer) =>
        peer is null || IPAddress.IsLoopback(peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer);

    private static Task RefuseAsync(HttpContext http)
    {
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LoopbackOnly).FullName!);
        SandboxLog.ControlRefused(logger, http.Connection.RemoteIpAddress!.ToString());
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
