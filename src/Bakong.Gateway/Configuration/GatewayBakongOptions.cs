using System.ComponentModel.DataAnnotations;
using Bakong.OpenApi.Client;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Configuration;

/// <summary>
/// <c>Bakong:*</c> — which Bakong the gateway checks payments with. <c>Bakong:Mode</c> is <c>Sandbox</c> (the default
/// when it is not set), <c>Sit</c> or <c>Production</c>; <c>Bakong:BaseUrl</c> overrides the host (in Sandbox mode it
/// points at a sandbox running elsewhere instead of the one hosted in-process).
/// </summary>
internal sealed class GatewayBakongOptions : IValidatableObject
{
    public const string Section = "Bakong";

    /// <summary><c>Sandbox</c>, <c>Sit</c> or <c>Production</c>, in any case; empty means Sandbox.</summary>
    public string? Mode { get; set; }

    /// <summary>An absolute http(s) URL, or empty for the mode's own host.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The mode as configured, or <see cref="BakongEnvironment.Sandbox"/> when none is.</summary>
    public BakongEnvironment Environment =>
        string.IsNullOrWhiteSpace(Mode) ? BakongEnvironment.Sandbox
        : Enum.TryParse<BakongEnvironment>(Mode, ignoreCase: true, out var mode) && Enum.IsDefined(mode) ? mode
        : throw new InvalidOperationException("Bakong:Mode is not valid: " + Mode);

    /// <summary>True when <c>Bakong:Mode</c> was not set at all, so Sandbox is a default rather than a choice.</summary>
    public bool IsModeDefaulted => string.IsNullOrWhiteSpace(Mode);

    /// <summary><see cref="BaseUrl"/> as a URI, or null when empty.</summary>
    public Uri? BaseUri => string.IsNullOrWhiteSpace(BaseUrl) ? null : new Uri(BaseUrl, UriKind.Absolute);

    /// <summary>The simulated Bakong runs inside the gateway: Sandbox mode with no <see cref="BaseUrl"/>.</summary>
    public bool HostsSandbox => Environment == BakongEnvironment.Sandbox && BaseUri is null;

    /// <summary>Reads and validates the section now: the host's shape (is the sandbox mapped?) depends on it.</summary>
    /// <exception cref="OptionsValidationException">The section is not valid; the message names every bad key.</exception>
    public static GatewayBakongOptions Read(IConfiguration configuration) =>
        StartupOptions.Read(configuration, Section, new GatewayBakongOptionsValidator());

    /// <summary>Sit or Production as configured (real money); false for Sandbox and for a mode that is not one.</summary>
    private bool IsLive =>
        Enum.TryParse<BakongEnvironment>(Mode, ignoreCase: true, out var mode) && mode is BakongEnvironment.Sit or BakongEnvironment.Production;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(Mode)
            && !(Enum.TryParse<BakongEnvironment>(Mode, ignoreCase: true, out var mode) && Enum.IsDefined(mode) && !int.TryParse(Mode, out _)))
        {
            yield return new ValidationResult(
                "Bakong:Mode must be Sandbox, Sit or Production (got '" + Mode + "').", [nameof(Mode)]);
        }

        var url = string.IsNullOrWhiteSpace(BaseUrl) ? null : Uri.TryCreate(BaseUrl, UriKind.Absolute, out var parsed) ? parsed : null;
        if (!string.IsNullOrWhiteSpace(BaseUrl) && !(url is not null && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult(
                "Bakong:BaseUrl must be an absolute http or https URL (got '" + BaseUrl + "').", [nameof(BaseUrl)]);
        }
        else if (url is { IsLoopback: false } && url.Scheme == Uri.UriSchemeHttp && IsLive)
        {
            // Every call to Bakong carries the bearer token: over plain http anyone on the path could take it.
            yield return new ValidationResult(
                "Bakong:BaseUrl must be https in Bakong:Mode " + Mode + " (got '" + BaseUrl + "'): the Bakong token would cross the network in clear (http is accepted on loopback only).",
                [nameof(BaseUrl)]);
        }
    }
}

[OptionsValidator]
internal sealed partial class GatewayBakongOptionsValidator : IValidateOptions<GatewayBakongOptions>
{
}
