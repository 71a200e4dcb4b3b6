using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Configuration;

/// <summary>
/// <c>Cors:*</c> — which other web origins may call the web endpoint from a browser (gRPC-Web, QR images). The
/// kiosk page the gateway serves itself is same-origin and needs none; list the origins of kiosk apps hosted
/// elsewhere, e.g. <c>Cors:AllowedOrigins:0=https://kiosk.shop.kh</c>, or <c>*</c> for any origin.
/// </summary>
internal sealed class GatewayCorsOptions : IValidatableObject
{
    public const string Section = "Cors";

    /// <summary>Origins (<c>scheme://host[:port]</c>, no path) allowed to call; <c>*</c> allows any. Empty: same-origin only.</summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>The gRPC-Web response headers a browser client must be able to read across origins.</summary>
    public static readonly string[] ExposedHeaders =
        ["Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "Grpc-Encoding", "Grpc-Accept-Encoding"];

    /// <summary>The request headers gRPC-Web clients send, with the API key (<c>authorization: Bearer</c>).</summary>
    public static readonly string[] AllowedHeaders =
        ["Content-Type", "X-Grpc-Web", "X-User-Agent", "Grpc-Timeout", "Grpc-Accept-Encoding", "If-None-Match", "Authorization"];

    public bool AllowsAnyOrigin => AllowedOrigins.Contains("*");

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < AllowedOrigins.Count; i++)
        {
            var origin = AllowedOrigins[i];
            if (origin == "*")
            {
                continue;
            }

            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.GetLeftPart(UriPartial.Authority) != origin.TrimEnd('/'))
            {
                yield return new ValidationResult(
                    "Cors:AllowedOrigins:" + i + " must be an origin such as https://kiosk.example.com (scheme, host and port, no path), or * (got '" + origin + "').",
                    [nameof(AllowedOrigins)]);
            }
        }
    }
}

[OptionsValidator]
internal sealed partial class GatewayCorsOptionsValidator : IValidateOptions<GatewayCorsOptions>
{
}
