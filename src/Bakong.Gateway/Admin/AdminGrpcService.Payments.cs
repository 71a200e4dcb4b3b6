using Bakong.Gateway.Rpc;
using Bakong.Grpc.Admin.V1;
using Bakong.Payments.Watching;
using Grpc.Core;

namespace Bakong.Gateway.Admin;

/// <summary>
/// Every terminal's payments on one stream for the operator (the dashboard's live list): the feed, its catch-up and
/// cursors are <see cref="TerminalWatchHub"/>'s, written as <c>WatchTerminal</c> writes them (<see cref="TerminalWatchStreams"/>);
/// this only maps the messages. The open-watch limit is <see cref="Limits.LimitsInterceptor"/>'s.
/// </summary>
internal sealed partial class AdminGrpcService
{
    public override async Task WatchPayments(
        WatchPaymentsRequest request, IServerStreamWriter<WatchPaymentsResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        await TerminalWatchStreams.WriteAsync(
            services.GetRequiredService<TerminalWatchHub>().OpenEveryTerminal(request.Cursor), responseStream, ToProto, context).ConfigureAwait(false);
    }

    private static WatchPaymentsResponse ToProto(TerminalWatchEvent message) => message switch
    {
        TerminalWatchEvent.Change change =>
            new WatchPaymentsResponse { Payment = PaymentMapper.ToProto(change.Payment), Cursor = change.Cursor?.Format() ?? "" },
        TerminalWatchEvent.CaughtUp caughtUp => new WatchPaymentsResponse
        {
            CaughtUp = new WatchPaymentsResponse.Types.CaughtUp { Resumed = caughtUp.Resumed },
            Cursor = caughtUp.Cursor.Format(),
        },
        _ => throw new InvalidOperationException("Unknown watch message."),
    };
}
