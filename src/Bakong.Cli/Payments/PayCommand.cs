using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;

namespace Bakong.Cli.Payments;

/// <summary>
/// <c>bakong pay</c>: the POS side of a sale. Creates the payment, draws its QR, counts down while the customer pays and
/// ends with the outcome as the exit code. Ctrl-C cancels the payment.
/// </summary>
internal sealed partial class PayCommand : Command
{
    public PayCommand(CliContext context)
        : base("pay", "Create a KHQR payment, show its QR with a live countdown, and wait for the outcome. "
            + "Exit code: 0 paid, 2 failed (declined), 3 expired, 4 cancelled (Ctrl-C cancels the payment), 1 anything else (a mistake in the request, no gateway).")
    {
        var amount = new Option<decimal?>("--amount")
        {
            Description = "The amount to pay, e.g. 12.50 (USD: whole cents; KHR: whole riel).",
            Required = true,
            CustomParser = AmountText.Parse,
        };
        var currency = new Option<string>("--currency") { Description = "USD or KHR.", Required = true };
        var terminal = new Option<string>("--terminal") { Description = "The POS terminal id, e.g. POS-01; its display, if configured, shows the QR.", Required = true };
        var order = new Option<string?>("--order") { Description = "Your order reference, e.g. INV-1 (kept with the payment, not in the QR)." };
        var expires = new Option<TimeSpan?>("--expires")
        {
            Description = "How long the QR stays payable: 90s, 5m, 1m30s (at most 10m). Default: the gateway's (5m).",
            CustomParser = ParseExpiry,
        };
        var requestId = new Option<string?>("--request-id")
        {
            Description = "The idempotency key of this sale (default: a new GUID). Re-running with the same key and amount resumes the same payment.",
        };
        var noQr = new Option<bool>("--no-qr") { Description = "Do not draw the QR in the terminal." };
        var server = GatewayClient.ServerOption();
        var key = GatewayClient.KeyOption();
        var json = GatewayClient.JsonOption();
        Options.Add(amount);
        Options.Add(currency);
        Options.Add(terminal);
        Options.Add(order);
        Options.Add(expires);
        Options.Add(requestId);
        Options.Add(noQr);
        Options.Add(server);
        Options.Add(key);
        Options.Add(json);

        SetAction((parseResult, cancellationToken) =>
        {
            var request = new CreatePaymentRequest
            {
                RequestId = parseResult.GetValue(requestId) ?? Guid.NewGuid().ToString(),
                TerminalId = parseResult.GetValue(terminal)!,
                Amount = PaymentText.ToMoney(parseResult.GetValue(amount)!.Value, parseResult.GetValue(currency)!.Trim().ToUpperInvariant()),
                OrderRef = parseResult.GetValue(order) ?? string.Empty,
            };
            if (parseResult.GetValue(expires) is { } expiry)
            {
                request.ExpiresIn = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(expiry);
            }

            return RunAsync(context, request, parseResult.GetValue(server)!, GatewayClient.KeyOf(parseResult, key), parseResult.GetValue(json), !parseResult.GetValue(noQr), cancellationToken);
        });
    }

    private static async Task<int> RunAsync(CliContext context, CreatePaymentRequest request, Uri server, string? key, bool json, bool drawQr, CancellationToken invocationToken)
    {
        using var interrupt = new Interrupt(context, invocationToken);
        var cancellationToken = interrupt.Token;
        using var channel = GatewayClient.Open(server, key);
        var client = new PaymentService.PaymentServiceClient(channel);
        var monitor = new PaymentMonitor(context, json);

        Payment created;
        try
        {
            created = (await client.CreatePaymentAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false)).Payment;
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return GatewayClient.ReportError(context, json, server, e, badRequestIsBadInput: false);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            // Ctrl-C while creating: the gateway may have created it. The same request_id finds it (or creates it) so it
            // can be cancelled rather than left showing a live QR.
            return await CancelAsync(context, client, monitor, server, json, null, request).ConfigureAwait(false);
        }

        monitor.Introduce(created, "created", drawQr);
        if (PaymentText.IsTerminal(created.State))
        {
            return monitor.Finish(created); // a repeated request_id of a sale that is already over
        }

        try
        {
            return monitor.Finish(await monitor.WatchAsync(client, created.PaymentId, cancellationToken).ConfigureAwait(false));
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return GatewayClient.ReportError(context, json, server, e, badRequestIsBadInput: false);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            return await CancelAsync(context, client, monitor, server, json, created.PaymentId, request).ConfigureAwait(false);
        }
    }

    /// <summary>Ctrl-C: cancels the payment and reports how it ended (PAID after all, if the cancel came too late).</summary>
    private static async Task<int> CancelAsync(
        CliContext context, PaymentService.PaymentServiceClient client, PaymentMonitor monitor, Uri server, bool json, string? paymentId, CreatePaymentRequest request)
    {
        // The invocation's token is cancelled; these calls get their own, bounded by a deadline.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var options = new CallOptions(cancellationToken: timeout.Token);
        try
        {
            paymentId ??= (await client.CreatePaymentAsync(request, options).ConfigureAwait(false)).Payment.PaymentId;
            var cancelled = (await client.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = paymentId }, options).ConfigureAwait(false)).Payment;
            return monitor.Finish(cancelled);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && paymentId is not null)
        {
            // Already over (paid, failed or expired before the cancel arrived): that is the outcome.
            monitor.Note("too late to cancel: the payment is already over");
            return monitor.Finish((await client.GetPaymentAsync(new GetPaymentRequest { PaymentId = paymentId }, options).ConfigureAwait(false)).Payment);
        }
        catch (RpcException e)
        {
            GatewayClient.ReportError(context, json, server, e, badRequestIsBadInput: false);
            return PaymentExitCodes.Error;
        }
    }

    /// <summary><c>90s</c>, <c>5m</c>, <c>1m30s</c>, <c>1h</c>, a plain number of seconds, or <c>00:05:00</c>.</summary>
    internal static TimeSpan? ParseExpiry(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value.Trim();
        TimeSpan? value = null;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            value = TimeSpan.FromSeconds(seconds);
        }
        else if (Duration().Match(text) is { Success: true } m && text.Length > 0)
        {
            static long Part(Group g) => g.Success ? long.Parse(g.Value, CultureInfo.InvariantCulture) : 0;
            value = TimeSpan.FromHours(Part(m.Groups["h"])) + TimeSpan.FromMinutes(Part(m.Groups["m"])) + TimeSpan.FromSeconds(Part(m.Groups["s"]));
        }
        else if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
        }

        if (value is not { } v || v <= TimeSpan.Zero)
        {
            result.AddError($"--expires: '{text}' is not a positive duration like 90s, 5m or 1m30s.");
            return null;
        }

        return v;
    }

    [GeneratedRegex(@"^(?:(?<h>\d{1,4})h)?(?:(?<m>\d{1,6})m)?(?:(?<s>\d{1,9})s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();
}
