using Bakong.Gateway.Configuration;
using Bakong.OpenApi.Client;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Access;

/// <summary>How callers are authenticated (<c>Auth:Mode</c>).</summary>
internal enum AuthMode
{
    /// <summary>Every call but <c>grpc.health.v1</c> carries <c>authorization: Bearer &lt;API key&gt;</c>.</summary>
    ApiKeys,

    /// <summary>No keys: every caller may do everything. Only for a sandbox on loopback, or when set explicitly.</summary>
    None,
}

/// <summary>
/// <c>Auth:*</c>. <c>Auth:Mode</c> is <c>ApiKeys</c> or <c>None</c>. Unset, it is <c>None</c> only in Sandbox mode with
/// every Kestrel endpoint on loopback (README's walk-through needs no setup), and <c>ApiKeys</c> anywhere else;
/// Sit and Production refuse <c>None</c>.
/// </summary>
internal sealed class GatewayAuthOptions
{
    public const string Section = "Auth";
    public const string ModeKey = "Auth:Mode";

    /// <summary><c>ApiKeys</c> or <c>None</c> in any case; empty for the default.</summary>
    public string? Mode { get; set; }

    /// <summary>The mode in force.</summary>
    public AuthMode Effective { get; private set; }

    /// <summary>True when <see cref="Mode"/> was not set, so <see cref="Effective"/> is the default.</summary>
    public bool IsDefaulted => string.IsNullOrWhiteSpace(Mode);

    /// <summary>Reads the section and decides the mode now: it decides whether the client store is opened.</summary>
    /// <exception cref="OptionsValidationException">A mode that is not one, or <c>None</c> outside Sandbox.</exception>
    public static GatewayAuthOptions Read(IConfiguration configuration, GatewayBakongOptions bakong)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(bakong);
        var options = new GatewayAuthOptions();
        configuration.GetSection(Section).Bind(options);
        string? failure = null;
        if (options.IsDefaulted)
        {
            options.Effective = bakong.Environment == BakongEnvironment.Sandbox && KestrelEndpoints.EveryEndpointIsLoopback(configuration) ? AuthMode.None : AuthMode.ApiKeys;
        }
        else if (!Enum.TryParse<AuthMode>(options.Mode, ignoreCase: true, out var mode) || !Enum.IsDefined(mode) || int.TryParse(options.Mode, out _))
        {
            failure = $"{ModeKey} must be ApiKeys or None (got '{options.Mode}').";
        }
        else if (mode == AuthMode.None && bakong.Environment != BakongEnvironment.Sandbox)
        {
            failure = $"{ModeKey}=None is refused in Bakong:Mode {bakong.Environment}: real money needs every caller to have an API key (remove {ModeKey}, and add clients with 'bakong clients add').";
        }
        else
        {
            options.Effective = mode;
        }

        return failure is null ? options : throw new OptionsValidationException(Options.DefaultName, typeof(GatewayAuthOptions), [failure]);
    }
}
