using Bakong.Gateway.Configuration;
using Bakong.OpenApi.Client;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// <c>Grpc:*</c>. <c>Grpc:Reflection</c> serves gRPC server reflection (the service list and descriptors that grpcurl
/// and Postman read); unset, it is on in Sandbox mode only. Reflection is for operators either way (AccessPolicy), but
/// a live gateway need not describe itself to anyone: it is off there unless asked for.
/// </summary>
internal sealed class GatewayGrpcOptions
{
    public const string Section = "Grpc";

    /// <summary><c>true</c> or <c>false</c>; unset for the mode's default.</summary>
    public bool? Reflection { get; set; }

    /// <summary>Whether reflection is served.</summary>
    public bool ReflectionEnabled { get; private set; }

    /// <summary>Reads the section now: whether the reflection service is mapped is decided while the host is built.</summary>
    public static GatewayGrpcOptions Read(IConfiguration configuration, GatewayBakongOptions bakong)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(bakong);
        var options = new GatewayGrpcOptions();
        configuration.GetSection(Section).Bind(options);
        options.ReflectionEnabled = options.Reflection ?? bakong.Environment == BakongEnvironment.Sandbox;
        return options;
    }
}
