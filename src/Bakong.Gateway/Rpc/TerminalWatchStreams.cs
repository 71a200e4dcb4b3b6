using Bakong.Payments.Watching;
using Grpc.Core;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// Writes a stream of the <see cref="TerminalWatchHub"/> to a gRPC call, for both of its RPCs (<c>WatchTerminal</c>,
/// one terminal; <c>AdminService.WatchPayments</c>, every terminal): the same errors and the same handling of a client
/// that reads too slowly, in one place.
/// </summary>
internal static class TerminalWatchStreams
{
    /// <summary>
    /// Writes <paramref name="opened"/>'s messages until the client goes (the call's cancellation) or the gateway stops
    /// (UNAVAILABLE). A cursor the hub refused is INVALID_ARGUMENT naming <c>cursor</c>; a stream dropped as too slow,
    /// RESOURCE_EXHAUSTED; one dropped because changes saved elsewhere may be missing, UNAVAILABLE.
    /// </summary>
    public static async Task WriteAsync<TResponse>(
        TerminalWatchResult opened,
        IServerStreamWriter<TResponse> responseStream,
        Func<TerminalWatchEvent, TResponse> map,
        ServerCallContext context)
    {
        using var watch = opened switch
        {
            TerminalWatchResult.Watching watching => watching.Watch,
            TerminalWatchResult.Invalid invalid => throw RpcErrors.InvalidArgument(invalid.Violations),
            _ => throw new InvalidOperationException("Unknown watch result."),
        };

        // A write waiting on a client that stopped reading is given up when the stream is dropped as too slow.
        using var write = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, watch.Behind);
        try
        {
            await foreach (var message in watch.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(map(message), write.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is TerminalWatchBehindException or TerminalWatchGapException
            || (e is OperationCanceledException && watch.Behind.IsCancellationRequested))
        {
            throw watch.Dropped == TerminalWatchEnd.ChangesMissed ? RpcErrors.WatchChangesMissed() : RpcErrors.WatchBehind();
        }

        // The stream only ends on its own when the application stops.
        throw RpcErrors.NotServing();
    }
}
