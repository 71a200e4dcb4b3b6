using Bakong.Gateway.Configuration;
using Bakong.OpenApi.Client;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Sandbox;

/// <summary>
/// <c>Sandbox:*</c>. A Sandbox gateway takes no real money, so one on the shop's network is either a mistake (a
/// forgotten <c>Bakong:Mode</c>) or a test bench: it refuses to start on a non-loopback endpoint unless
/// <c>Sandbox:AllowNonLoopback</c> says it is the second.
/// </summary>
internal sealed class GatewaySandboxOptions
{
    public const string Section = "Sandbox";
    public const string AllowNonLoopbackKey = "Sandbox:AllowNonLoopback";

    /// <summary>Start in Sandbox mode although a Kestrel endpoint is not on loopback.</summary>
    public bool AllowNonLoopback { get; set; }

    /// <summary>Reads the section and refuses a Sandbox gateway off loopback that is not allowed there.</summary>
    /// <exception cref="OptionsValidationException">Sandbox mode on a non-loopback endpoint without the setting.</exception>
    public static GatewaySandboxOptions Read(IConfiguration configuration, GatewayBakongOptions bakong)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(bakong);
        var options = new GatewaySandboxOptions();
        configuration.GetSection(Section).Bind(options);
        if (bakong.Environment == BakongEnvironment.Sandbox && !options.AllowNonLoopback && !KestrelEndpoints.EveryEndpointIsLoopback(configuration))
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(GatewaySandboxOptions), [
                "Bakong:Mode is Sandbox (simulated payments) but a Kestrel endpoint is not on loopback: set Bakong:Mode to Sit or Production for a real shop, or "
                + AllowNonLoopbackKey + "=true for a test bench on the network."]);
        }

        return options;
    }
}
