using System.Diagnostics.Metrics;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Bakong.Gateway.Access;

/// <summary>
/// Counts the calls the gateway refuses, on the <c>Bakong.Gateway</c> meter: <c>bakong.gateway.refused</c>, tagged with
/// the RPC (<c>method</c>, as <c>http_route</c> names it; for a plain HTTP route, its verb and pattern) and the status
/// the caller got (<c>status</c>: unauthenticated, permission_denied, resource_exhausted). A till with a revoked key,
/// someone trying keys, a client over its limits: each shows as a rate (docs/operations.md, Metrics). The tags come
/// from fixed sets, never from what the caller sent.
/// </summary>
/// <remarks>
/// An interceptor just inside the API audit, so it sees the status as the caller does (after the error mapping) for
/// gRPC, gRPC-Web and REST alike, unary and streaming. The plain HTTP routes that check a key themselves (the QR
/// images, the settlement CSV) report through <see cref="CountHttp"/>. A singleton: the counter is created once.
/// </remarks>
internal sealed class RefusalMetrics : Interceptor
{
    public const string MeterName = "Bakong.Gateway";

    private readonly Counter<long> _refused;

    public RefusalMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _refused = meterFactory.Create(MeterName)
            .CreateCounter<long>("bakong.gateway.refused", "{call}", "Calls refused: no valid key, not allowed, or over a limit.");
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        CountedAsync(context, () => continuation(request, context));

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        CountedAsync(context, () => continuation(request, responseStream, context));

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        CountedAsync(context, () => continuation(requestStream, context));

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        CountedAsync(context, () => continuation(requestStream, responseStream, context));

    private async Task<T> CountedAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            Count(context, e.StatusCode);
            throw;
        }
    }

    private async Task CountedAsync(ServerCallContext context, Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            Count(context, e.StatusCode);
            throw;
        }
    }

    /// <summary>A refusal by a plain HTTP route, which no interceptor sees: <paramref name="route"/> is its verb and pattern, as <c>GET /v1/reports/settlement.csv</c>.</summary>
    public void CountHttp(string route, StatusCode status)
    {
        ArgumentException.ThrowIfNullOrEmpty(route);
        Count(route, status);
    }

    private void Count(ServerCallContext context, StatusCode status)
    {
        ArgumentNullException.ThrowIfNull(context);

        // The method is one the server registered (an unknown one never reaches an interceptor).
        Count(context.Method, status);
    }

    private void Count(string method, StatusCode status)
    {
        var name = status switch
        {
            StatusCode.Unauthenticated => "unauthenticated",
            StatusCode.PermissionDenied => "permission_denied",
            StatusCode.ResourceExhausted => "resource_exhausted",
            _ => null,
        };
        if (name is not null)
        {
            _refused.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("status", name));
        }
    }
}
