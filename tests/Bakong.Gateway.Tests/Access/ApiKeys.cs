using Bakong.Grpc.Payments.V1;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Reflection.V1Alpha;
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

    public static IClientStore Clients(this GatewayFactory gateway) => gateway.Services.GetRequiredService<IClientStore>();

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

    /// <summary>
    /// Lists the services by gRPC reflection with <paramref name="authorization"/>: the status the gateway answered, and
    /// the services when it was OK. A refusal can end the call before the request is written; the write's own error
    /// is then not the answer (it may say only that the call ended), so the status is read from the response side.
    /// </summary>
    public static async Task<(StatusCode Status, List<string> Services)> ListServicesAsync(
        this GatewayFactory gateway, string? authorization, CancellationToken cancellationToken)
    {
        var client = new ServerReflection.ServerReflectionClient(gateway.As(authorization));
        using var call = client.ServerReflectionInfo(cancellationToken: cancellationToken);
        try
        {
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, cancellationToken);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // Ended by the gateway first: its status is what the response side reports below.
        }

        try
        {
            return await call.ResponseStream.MoveNext(cancellationToken)
                ? (StatusCode.OK, [.. call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name)])
                : (call.GetStatus().StatusCode, []);
        }
        catch (RpcException e)
        {
            return (e.StatusCode, []);
        }
    }
}
