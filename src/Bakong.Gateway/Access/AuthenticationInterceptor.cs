using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Bakong.Gateway.Access;

/// <summary>
/// Authenticates every gRPC call (gRPC, gRPC-Web and REST transcoding all pass here) before its service runs, and
/// refuses what <see cref="AccessPolicy.Of"/> says the caller may not call: UNAUTHENTICATED (REST 401) without a valid
/// key, PERMISSION_DENIED (403) for a non-operator on an operator's method. The service reads the
/// <see cref="Caller"/> with <see cref="CallerContext.Caller"/>. The connection's TLS client certificate goes with the
/// key: a key bound to one is accepted only with it (<see cref="CallerAuthentication"/>).
/// </summary>
internal sealed class AuthenticationInterceptor(CallerAuthentication authentication, ILogger<AuthenticationInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authenticate(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var access = AccessPolicy.Of(context.Method);
        if (access == MethodAccess.Open)
        {
            context.SetCaller(Caller.Unrestricted);
            return;
        }

        var outcome = authentication.Authenticate(
            context.RequestHeaders.GetValue("authorization"), context.GetHttpContext().Connection.ClientCertificate);
        if (outcome.Caller is not { } caller)
        {
            outcome.LogRefusal(logger, context.Method, context.Peer);
            throw new RpcException(new Status(
                StatusCode.Unauthenticated,
                outcome.CertificateRefusal ?? "This call needs an API key: send 'authorization: Bearer <key>' with a key from 'bakong clients add' that is not revoked."));
        }

        // Known before it is refused: the API audit records who was refused, not "-". The call itself never runs.
        context.SetCaller(caller);
        if (!AccessPolicy.Allows(caller, access))
        {
            AccessLog.NotOperator(logger, context.Method, caller.Id, context.Peer);
            throw new RpcException(new Status(StatusCode.PermissionDenied, AccessPolicy.Refusal(access)));
        }
    }
}
