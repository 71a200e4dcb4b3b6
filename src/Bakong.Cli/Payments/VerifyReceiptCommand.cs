using System.CommandLine;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;

namespace Bakong.Cli.Payments;

/// <summary>
/// <c>bakong verify</c>: checks a customer's banking-app receipt with Bakong through the gateway
/// (<c>VerifyTransaction</c>). Not <c>bakong khqr verify</c>, which checks a QR string offline.
/// </summary>
internal sealed class VerifyReceiptCommand : Command
{
    /// <summary>Found, paid this merchant, and never verified before.</summary>
    public const int Verified = 0;

    /// <summary>Bakong does not have the transaction (for a short hash: not with that amount and currency), or it failed.</summary>
    public const int NotFound = 3;

    /// <summary>Bakong has it, but the money went to another account than this merchant's.</summary>
    public const int NotThisMerchant = 4;

    /// <summary>The receipt was verified before: shown twice.</summary>
    public const int VerifiedBefore = 5;

    public VerifyReceiptCommand(CliContext context)
        : base("verify", "Check a customer's banking-app receipt with Bakong, through the gateway: give --short-hash with --amount and "
            + "--currency, or --hash, or --external-ref. Exit code: 0 found and paid to this merchant, 3 not found (or failed), "
            + "4 paid to another account, 5 verified before (the same receipt shown twice), 2 bad input, 1 anything else. "
            + "(To check a KHQR string offline: bakong khqr verify.)")
    {
        var shortHash = new Option<string?>("--short-hash") { Description = "The 8 hex characters the receipt shows (needs --amount and --currency)." };
        var hash = new Option<string?>("--hash") { Description = "The full transaction hash, 64 hex characters." };
        var externalRef = new Option<string?>("--external-ref") { Description = "The paying bank's reference, e.g. 100FT35340355905." };
        var amount = new Option<decimal?>("--amount") { Description = "The amount on the receipt, e.g. 12.50 (with --short-hash).", CustomParser = AmountText.Parse };
        var currency = new Option<string?>("--currency") { Description = "USD or KHR (with --short-hash)." };
        var terminal = new Option<string?>("--terminal") { Description = "The terminal where the receipt is shown (default: the key's only terminal)." };
        var server = GatewayClient.ServerOption();
        var key = GatewayClient.KeyOption();
        var json = GatewayClient.JsonOption();
        Options.Add(shortHash);
        Options.Add(hash);
        Options.Add(externalRef);
        Options.Add(amount);
        Options.Add(currency);
        Options.Add(terminal);
        Options.Add(server);
        Options.Add(key);
        Options.Add(json);
        Validators.Add(result =>
        {
            var given = new[] { shortHash, hash, externalRef }.Count(o => result.GetResult(o) is not null);
            if (given != 1)
            {
                result.AddError("Give exactly one of --short-hash, --hash or --external-ref.");
            }
            else if (result.GetResult(shortHash) is not null && (result.GetResult(amount) is null || result.GetResult(currency) is null))
            {
                result.AddError("--short-hash needs --amount and --currency.");
            }
            else if (result.GetResult(shortHash) is null && (result.GetResult(amount) is not null || result.GetResult(currency) is not null))
            {
                result.AddError("--amount and --currency go with --short-hash only.");
            }
        });

        SetAction((parseResult, cancellationToken) =>
        {
            var request = new VerifyTransactionRequest { TerminalId = parseResult.GetValue(terminal) ?? "" };
            if (parseResult.GetValue(shortHash) is { } receiptHash)
            {
                request.ShortHash = new ShortHashReceipt
                {
                    Hash = receiptHash,
                    Amount = PaymentText.ToMoney(parseResult.GetValue(amount)!.Value, parseResult.GetValue(currency)!.Trim().ToUpperInvariant()),
                };
            }
            else if (parseResult.GetValue(hash) is { } fullHash)
            {
                request.Hash = fullHash;
            }
            else
            {
                request.ExternalRef = parseResult.GetValue(externalRef)!;
            }

            return RunAsync(context, request, parseResult.GetValue(server)!, GatewayClient.KeyOf(parseResult, key), parseResult.GetValue(json), cancellationToken);
        });
    }

    /// <summary>The exit code of an answer: the worst thing it says, fraud first.</summary>
    public static int ExitCodeOf(VerifyTransactionResponse response) =>
        !response.Found ? NotFound
        : !response.PaidToMerchant ? NotThisMerchant
        : response.FirstVerification is not null ? VerifiedBefore
        : Verified;

    private static async Task<int> RunAsync(CliContext context, VerifyTransactionRequest request, Uri server, string? key, bool json, CancellationToken cancellationToken)
    {
        using var channel = GatewayClient.Open(server, key);
        var client = new PaymentService.PaymentServiceClient(channel);
        VerifyTransactionResponse response;
        try
        {
            response = await client.VerifyTransactionAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return GatewayClient.ReportError(context, json, server, e);
        }

        if (json)
        {
            context.Output.WriteLine(ProtoJson.Line(response));
        }
        else
        {
            Describe(context, response);
        }

        context.Output.Flush();
        return ExitCodeOf(response);
    }

    private static void Describe(CliContext context, VerifyTransactionResponse response)
    {
        var output = context.Output;
        if (!response.Found)
        {
            output.WriteLine(response.TransactionFailed
                ? "FAILED: Bakong reports this transaction as failed; no money moved"
                : "NOT FOUND: Bakong has no such transaction (a short hash is found only with the exact amount and currency)");
            return;
        }

        var t = response.Transaction;
        output.WriteLine("Transaction  " + t.Hash);
        output.WriteLine("From         " + t.FromAccountId);
        output.WriteLine("To           " + t.ToAccountId + (response.PaidToMerchant ? "   (this merchant)" : "   (NOT this merchant's account)"));
        output.WriteLine("Amount       " + PaymentText.Amount(t.Amount));
        output.WriteLine("Time         " + PaymentText.Time(t.CreateTime, context.TimeProvider));
        output.WriteLine("Payment      " + (response.PaymentId.Length > 0 ? response.PaymentId
            : response.LinkedToPayment ? "linked to a payment of another terminal" : "none (not paid through this gateway's QR)"));
        output.WriteLine(ExitCodeOf(response) switch
        {
            NotThisMerchant => "NOT THIS MERCHANT: the money went to another account",
            VerifiedBefore => "VERIFIED BEFORE: at " + PaymentText.Time(response.FirstVerification.VerifyTime, context.TimeProvider)
                + (response.FirstVerification.TerminalId.Length > 0 ? " by terminal " + response.FirstVerification.TerminalId : "")
                + "; the same receipt shown twice",
            _ => "VERIFIED: paid to this merchant, first time this receipt is shown",
        });
    }
}
