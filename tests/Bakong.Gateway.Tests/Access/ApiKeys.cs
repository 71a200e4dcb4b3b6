using Bakong.Grpc.Payments.V1;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;

namespace Bakong.Gateway.Tests.Access;

/// <summary>Clients and keyed calls on a <see cref="GatewayFactory"/> whose <c>Auth:Mode</c> is ApiKeys.</summary>
internal static class ApiKeys
{
    /// <summary>A gateway that needs keys (Sandbox mode, so nothing else changes).</summary>
    public static GatewayFactory Gateway()
    {
        var gateway = new GatewayFactory();
        gateway.Settings["Auth:Mode"] = "ApiKeys";
        return gateway;
    }

    public static ClientStore Clients(this GatewayFactory gateway) => gateway.Services.GetRequiredService<ClientStore>();

    /// <summary>Adds a client to the running gateway's store and returns its key.</summary>
    public static string AddClient(this GatewayFactory gateway, ClientRole role, params string[] terminals) =>
        gateway.Clients().Add(new ClientRegistration(role, terminals, null)).Key;

    /// <summary>The payment service as the holder of <paramref name="key"/> calls it.</summary>
    public static PaymentService.PaymentServiceClient PaymentsAs(this GatewayFactory gateway, string key) =>
        new(gateway.Channel.Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + key);
            return metadata;
        }));

    public static CallInvoker As(this GatewayFactory gateway, string? authorization) =>
        gateway.Channel.Intercept(metadata =>
        {
            if (authorization is not null)
            {
                metadata.Add("authorization", authorization);
            }

            return metadata;
        });
}
