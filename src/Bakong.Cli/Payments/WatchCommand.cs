using System.CommandLine;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;

namespace Bakong.Cli.Payments;

/// <summary><c>bakong watch ID</c>: follows an existing payment to its outcome, with the exit codes of <c>pay</c>.</summary>
internal sealed class WatchCommand : Command
{
    public WatchCommand(CliContext context)
        : base("watch", "Follow an existing payment until it is over. "
            + "Exit code: 0 paid, 2 failed, 3 expired, 4 cancelled, 1 error. Ctrl-C stops watching; the payment goes on.")
    {
        var id = new Argument<string>("payment-id") { Description = "The payment to watch, as pay or payments list printed it." };
        var server = GatewayClient.ServerOption();
        var key = GatewayClient.KeyOption();
        var json = GatewayClient.JsonOption();
        var qr = new Option<bool>("--qr") { Description = "Draw the payment's QR in the terminal too." };
        Arguments.Add(id);
        Options.Add(qr);
        Options.Add(server);
        Options.Add(key);
        Options.Add(json);
        SetAction((parseResult, cancellationToken) => RunAsync(
            context, parseResult.GetValue(id)!, parseResult.GetValue(server)!, GatewayClient.KeyOf(parseResult, key), parseResult.GetValue(json), parseResult.GetValue(qr), cancellationToken));
    }

    private static async Task<int> RunAsync(CliContext context, string paymentId, Uri server, string? key, bool json, bool drawQr, CancellationToken invocationToken)
    {
        using var interrupt = new Interrupt(context, invocationToken);
        var cancellationToken = interrupt.Token;
        using var channel = GatewayClient.Open(server, key);
        var client = new PaymentService.PaymentServiceClient(channel);
        var monitor = new PaymentMonitor(context, json);
        try
        {
            var payment = (await client.GetPaymentAsync(new GetPaymentRequest { PaymentId = paymentId }, cancellationToken: cancellationToken).ConfigureAwait(false)).Payment;
            monitor.Introduce(payment, "payment", drawQr);
            if (!PaymentText.IsTerminal(payment.State))
            {
                payment = await monitor.WatchAsync(client, paymentId, cancellationToken).ConfigureAwait(false);
            }

            return monitor.Finish(payment);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return GatewayClient.ReportError(context, json, server, e, badRequestIsBadInput: false);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            monitor.Note("stopped watching; the payment is " + PaymentText.Name(monitor.Last?.State ?? Payment.Types.State.Unspecified));
            return PaymentExitCodes.Error;
        }
    }
}
