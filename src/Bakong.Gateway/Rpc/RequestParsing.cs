using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// Binds the methods of every gRPC service the gateway hosts (payments, displays, health, reflection) as grpc-dotnet's
/// own binder does, but with a request deserializer that answers a message that is not protobuf with INVALID_ARGUMENT.
/// grpc-dotnet parses the request in its call handler, before any interceptor runs, and answers any exception but an
/// <see cref="RpcException"/> with UNKNOWN "Exception was thrown by handler." and its stack logged at Error: one bad
/// frame from anyone who can connect cost a 30-line log entry. An <see cref="RpcException"/> from the deserializer is
/// returned as it is, so the client gets a short status and the log a Debug line.
/// </summary>
internal static class RequestParsing
{
    /// <summary>Puts <see cref="RequestParsingMethodProvider{TService}"/> in the place of grpc-dotnet's binder.</summary>
    /// <remarks>
    /// Call after every <c>AddGrpc*</c>: each <c>AddGrpc</c> adds grpc-dotnet's binder again. Calling it again is harmless:
    /// the provider is added once, as grpc-dotnet adds its own (a second one would bind every method twice).
    /// </remarks>
    public static IServiceCollection AddGrpcRequestParsing(this IServiceCollection services)
    {
        // grpc-dotnet's binder is internal: it is found by name, and its absence (a grpc-dotnet that renamed it) stops
        // the gateway here rather than leaving every method bound twice.
        var binders = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>)
            && d.ImplementationType?.Assembly == typeof(GrpcServiceOptions).Assembly
            && d.ImplementationType.Name == "BinderServiceMethodProvider`1").ToList();
        if (binders.Count == 0)
        {
            throw new InvalidOperationException("grpc-dotnet's BinderServiceMethodProvider is not registered: call AddGrpc first, or update RequestParsing for this grpc-dotnet.");
        }

        foreach (var binder in binders)
        {
            services.Remove(binder);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(RequestParsingMethodProvider<>)));
        return services;
    }

    /// <summary>The request marshaller of <paramref name="method"/>, turning a parse error into INVALID_ARGUMENT.</summary>
    public static Method<TRequest, TResponse> Guard<TRequest, TResponse>(Method<TRequest, TResponse> method, ILogger logger)
    {
        var inner = method.RequestMarshaller;
        var requestMarshaller = new Marshaller<TRequest>(inner.ContextualSerializer, context =>
        {
            try
            {
                return inner.ContextualDeserializer(context);
            }
            catch (InvalidProtocolBufferException e)
            {
                GatewayLog.UnparseableRequest(logger, method.FullName, e.Message);
                throw RpcErrors.UnparseableRequest();
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, requestMarshaller, method.ResponseMarshaller);
    }
}

/// <summary>
/// grpc-dotnet's <c>BinderServiceMethodProvider</c> with <see cref="RequestParsing.Guard"/> on each method: runs the
/// service's generated <c>BindService</c> (found by its <see cref="BindServiceMethodAttribute"/>) and adds each method
/// with the same invoker and endpoint metadata grpc-dotnet would. Not kept from it: the fallback for services generated
/// without that attribute (Grpc.Tools has emitted it since 2.24; every service here has it).
/// </summary>
internal sealed class RequestParsingMethodProvider<TService>(ILogger<RequestParsingMethodProvider<TService>> logger) : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } attribute)
            {
                var bind = attribute.BindType.GetMethod(
                    attribute.BindMethodName, BindingFlags.Public | BindingFlags.Static, [typeof(ServiceBinderBase), type])
                    ?? throw new InvalidOperationException("No " + attribute.BindMethodName + " method on " + attribute.BindType + ".");
                // No service instance: BindService then passes null handlers, and each method is bound to the open
                // delegate below, called on the instance grpc-dotnet activates per call.
                bind.Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, [new Binder(context, type, logger), null], culture: null);
                return;
            }
        }

        // Not a generated service (grpc-dotnet's ServerServiceDefinition marker): its own provider binds it.
    }

    /// <param name="context">Where the methods are added.</param>
    /// <param name="serviceBase">The generated base class the service derives from (the one with the attribute).</param>
    /// <param name="logger">For <see cref="RequestParsing.Guard"/>'s log line.</param>
    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type serviceBase, ILogger logger) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(RequestParsing.Guard(method, logger), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<ServerStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(RequestParsing.Guard(method, logger), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<ClientStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(RequestParsing.Guard(method, logger), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(RequestParsing.Guard(method, logger), metadata, invoker);
        }

        /// <summary>The service's method as an open delegate, and the endpoint metadata grpc-dotnet's binder gives it.</summary>
        private (TDelegate Invoker, List<object> Metadata) Handler<TDelegate>(string name, params Type[] parameters)
            where TDelegate : Delegate
        {
            var method = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
                ?? throw new InvalidOperationException("Could not find '" + name + "' on " + typeof(TService) + ".");

            // The override of the generated method (or the generated one, answering UNIMPLEMENTED): a method that hides it
            // with 'new' is not what a gRPC call of that name means, so the gateway refuses to start rather than bind it.
            if (method.GetBaseDefinition().DeclaringType != serviceBase)
            {
                throw new InvalidOperationException("'" + name + "' on " + typeof(TService) + " does not override " + serviceBase + "'s method.");
            }
            List<object> metadata = [.. typeof(TService).GetCustomAttributes(inherit: true), .. method.GetCustomAttributes(inherit: true)];

            // Only POST routes to a gRPC method; accepting a CORS preflight lets the CORS middleware answer it (gRPC-Web).
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return (method.CreateDelegate<TDelegate>(), metadata);
        }
    }
}
