using Bakong.Sandbox.Api;
using Bakong.Sandbox.Control;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the simulated Bakong into an application.</summary>
public static class SandboxEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the Bakong Open API at <c>{prefix}/v1/...</c> and the control API at <c>{prefix}/control/...</c>, which
    /// answers only callers on loopback (404 for any other peer).
    /// Needs <c>services.AddBakongSandbox()</c>.
    /// </summary>
    /// <param name="endpoints">The application.</param>
    /// <param name="prefix">E.g. <c>/sandbox</c> inside the gateway; empty when the sandbox is the whole server.</param>
    public static RouteGroupBuilder MapBakongSandbox(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);

        var group = endpoints.MapGroup(prefix.TrimEnd('/'));
        BakongApi.Map(group);
        ControlApi.Map(group.MapGroup("/control").ExcludeFromDescription().OnLoopbackOnly());
        return group;
    }
}
