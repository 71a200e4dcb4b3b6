using System.ComponentModel.DataAnnotations;
using Bakong.Gateway.Configuration;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;

namespace Bakong.Gateway.Telemetry;

/// <summary>
/// <c>Telemetry:*</c> — metrics and traces (docs/operations.md). Prometheus scrapes <c>/metrics</c> on the Web endpoint;
/// OTLP export of metrics and traces is off until <c>Telemetry:Otlp:Endpoint</c> is set.
/// </summary>
internal sealed class TelemetryOptions : IValidatableObject
{
    public const string Section = "Telemetry";

    /// <summary>The <c>service.name</c> resource attribute.</summary>
    [Required]
    public string ServiceName { get; set; } = "bakong-gateway";

    /// <summary>Serve <c>/metrics</c> for Prometheus on the Web endpoint.</summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>The OTLP exporter: off while <see cref="OtlpOptions.Endpoint"/> is empty.</summary>
    public OtlpOptions Otlp { get; set; } = new();

    /// <summary>Reads and validates the section now: which exporters exist is decided while the services are registered.</summary>
    /// <exception cref="OptionsValidationException">The section is not valid; the message names every bad key.</exception>
    public static TelemetryOptions Read(IConfiguration configuration) =>
        StartupOptions.Read(configuration, Section, new TelemetryOptionsValidator());

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(Otlp.Endpoint)
            && !(Uri.TryCreate(Otlp.Endpoint, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult(
                "Telemetry:Otlp:Endpoint must be an absolute http or https URL (got '" + Otlp.Endpoint + "').", ["Otlp.Endpoint"]);
        }
    }

    /// <summary><c>Telemetry:Otlp:*</c>.</summary>
    internal sealed class OtlpOptions
    {
        /// <summary>The collector, e.g. <c>http://127.0.0.1:4317</c> (gRPC) or <c>http://127.0.0.1:4318</c> (HTTP); empty: no export.</summary>
        public string? Endpoint { get; set; }

        /// <summary><c>Grpc</c> (default) or <c>HttpProtobuf</c>.</summary>
        public OtlpExportProtocol Protocol { get; set; } = OtlpExportProtocol.Grpc;

        public Uri? EndpointUri => string.IsNullOrWhiteSpace(Endpoint) ? null : new Uri(Endpoint, UriKind.Absolute);
    }
}

[OptionsValidator]
internal sealed partial class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
}
