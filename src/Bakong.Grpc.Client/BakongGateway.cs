using Bakong.Grpc.Payments.V1;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Bakong.Grpc.Client;

/// <summary>The payment service of a gateway, with its API key on every call.</summary>
public static class BakongGateway
{
    /// <summary>A client on <paramref name="channel"/> (the gateway's Grpc endpoint, e.g. <c>http://127.0.0.1:5080</c>).</summary>
    /// <param name="channel">The channel; the caller owns and disposes it.</param>
    /// <param name="apiKey">The key from <c>bakong clients add</c>; null only for a Sandbox gateway on loopback (Auth:Mode None).</param>
    public static PaymentService.PaymentServiceClient Payments(GrpcChannel channel, string? apiKey)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return apiKey is null ? new(channel) : new(channel.Intercept(new ApiKeyInterceptor(apiKey)));
    }
}
