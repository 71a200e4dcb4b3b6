using System.CommandLine;
using Bakong.Cli.Payments;
using Bakong.Grpc.Admin.V1;
using Grpc.Core;

namespace Bakong.Cli.Exceptions;

/// <summary>
/// <c>bakong resolve PAYMENT_ID --accept | --refunded HASH [--note TEXT] [--json]</c>: takes a payment out of the
/// exception queue through <c>bakong.admin.v1.AdminService.ResolvePayment</c> with an operator's key. A refund's hash is
/// checked with Bakong by the gateway before anything is recorded.
/// </summary>
/// <remarks>
/// Exit codes: 0 resolved; 1 the gateway refused (resolved already, not in the queue, a refund Bakong does not confirm)
/// or is unreachable; 2 bad input.
/// </remarks>
internal sealed class ResolveCommand : Command
{
    public ResolveCommand(CliContext context)
        : base("resolve", "Resolve a payment of the exception queue: --accept keeps the money as the sale; --refunded HASH records the refund transfer you made (checked with Bakong first). Needs an operator's key.")
    {
        var payment = new Argument<string>("payment-id") { Description = "The payment, as 'bakong exceptions' lists it." };
        var accept = new Option<bool>("--accept") { Description = "Keep the money as the sale." };
        var refunded = new Option<string?>("--refunded") { Description = "The refund transfer's transaction hash (64 hex digits, from the banking app's receipt).", HelpName = "hash" };
        var note = new Option<string?>("--note") { Description = "A note kept on the payment (one line, at most 500 characters).", HelpName = "text" };
        var json = GatewayClient.JsonOption("Write the resolved payment as one JSON object (the REST answer) instead of text.");
        var server = GatewayClient.ServerOption();
        var key = GatewayClient.KeyOption();
        key.Description = "An operator's API key. Default: $" + GatewayClient.KeyVariable + ".";
        Arguments.Add(payment);
        Options.Add(accept);
        Options.Add(refunded);
        Options.Add(note);
        Options.Add(json);
        Options.Add(server);
        Options.Add(key);
        Validators.Add(result =>
        {
            if (result.GetValue(accept) == result.GetValue(refunded) is not null)
            {
                result.AddError("Give exactly one of --accept and --refunded HASH.");
            }
        });
        SetAction(async (parseResult, cancellationToken) =>
        {
            var uri = parseResult.GetValue(server)!;
            var asJson = parseResult.GetValue(json);
            var request = new ResolvePaymentRequest { PaymentId = parseResult.GetValue(payment) ?? "", Note = parseResult.GetValue(note) ?? "" };
            if (parseResult.GetValue(refunded) is { } hash)
            {
                request.Refunded = new RefundResolution { TransactionHash = hash };
            }
            else
            {
                request.Accept = new AcceptResolution();
            }

            using var channel = GatewayClient.Open(uri, GatewayClient.KeyOf(parseResult, key));
            ResolvePaymentResponse response;
            try
            {
                response = await new AdminService.AdminServiceClient(channel).ResolvePaymentAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                return GatewayClient.ReportError(context, asJson, uri, e);
            }

            var resolution = response.Payment.Resolution;
            await context.Output.WriteLineAsync(asJson
                ? ProtoJson.Line(response)
                : resolution.Kind == Grpc.Payments.V1.PaymentResolution.Types.Kind.Refunded
                    ? $"{response.Payment.PaymentId} refunded ({resolution.Refund.Hash}, {PaymentText.Amount(resolution.Refund.Amount)} to {resolution.Refund.ToAccountId}) by {resolution.ResolvedBy}"
                    : $"{response.Payment.PaymentId} accepted by {resolution.ResolvedBy}").ConfigureAwait(false);
            await context.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
    }
}
