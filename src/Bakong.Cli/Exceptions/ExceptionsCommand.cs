using System.CommandLine;
using System.Globalization;
using Bakong.Cli.Payments;
using Bakong.Grpc.Admin.V1;
using Grpc.Core;

namespace Bakong.Cli.Exceptions;

/// <summary>
/// <c>bakong exceptions [--limit N] [--json]</c>: the exception queue of a running gateway (payments that need a person:
/// flagged for review, or paid late, not yet resolved), oldest first, through
/// <c>bakong.admin.v1.AdminService.ListExceptions</c> with an operator's key.
/// </summary>
/// <remarks>Exit codes: 0 the queue (empty or not); 1 the gateway refused or is unreachable; 2 bad input.</remarks>
internal sealed class ExceptionsCommand : Command
{
    /// <summary>The gateway's largest page: <c>--limit</c> is one page.</summary>
    private const int MaxLimit = 500;

    public ExceptionsCommand(CliContext context)
        : base("exceptions", "The payments that need a person (a transfer that did not match, money after the POS gave up), oldest first; resolve each with 'bakong resolve'. Needs an operator's key.")
    {
        var limit = new Option<int>("--limit") { Description = "At most this many, oldest first (1 to 500).", DefaultValueFactory = _ => 50 };
        var json = GatewayClient.JsonOption("Write one JSON object per payment (the REST answer's PaymentException) instead of a table.");
        var server = GatewayClient.ServerOption();
        var key = GatewayClient.KeyOption();
        key.Description = "An operator's API key. Default: $" + GatewayClient.KeyVariable + ".";
        Options.Add(limit);
        Options.Add(json);
        Options.Add(server);
        Options.Add(key);
        // On the option: a command's validator reads 0, not the default, when --limit is not given.
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > MaxLimit)
            {
                result.AddError("--limit: 1 to " + MaxLimit + ".");
            }
        });
        SetAction(async (parseResult, cancellationToken) =>
        {
            var uri = parseResult.GetValue(server)!;
            var asJson = parseResult.GetValue(json);
            using var channel = GatewayClient.Open(uri, GatewayClient.KeyOf(parseResult, key));
            ListExceptionsResponse page;
            try
            {
                page = await new AdminService.AdminServiceClient(channel)
                    .ListExceptionsAsync(new ListExceptionsRequest { PageSize = parseResult.GetValue(limit) }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                return GatewayClient.ReportError(context, asJson, uri, e);
            }

            if (asJson)
            {
                foreach (var exception in page.Exceptions)
                {
                    await context.Output.WriteLineAsync(ProtoJson.Line(exception)).ConfigureAwait(false);
                }
            }
            else
            {
                Write(context, page);
            }

            await context.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
    }

    private static void Write(CliContext context, ListExceptionsResponse page)
    {
        if (page.Exceptions.Count == 0)
        {
            context.Output.WriteLine("No payment needs a person.");
            return;
        }

        List<string[]> rows = [["PAYMENT", "TERMINAL", "STATE", "AMOUNT", "RECEIVED", "FROM", "CREATED", "WHY"]];
        rows.AddRange(page.Exceptions.Select(e => new[]
        {
            e.Payment.PaymentId,
            e.Payment.TerminalId,
            PaymentText.Name(e.Payment.State),
            PaymentText.Amount(e.Payment.Amount),
            PaymentText.Amount(e.Payment.BakongTransaction?.Amount),
            e.Payment.BakongTransaction?.FromAccountId ?? "",
            e.Payment.CreateTime?.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "",
            (e.Kind == ExceptionKind.NeedsReview ? "review: " : "paid late: ") + e.Reason,
        }));
        foreach (var line in TextTable.Lines(rows))
        {
            context.Output.WriteLine(line);
        }

        if (page.NextPageToken.Length > 0)
        {
            context.Output.WriteLine("More wait after these: resolve them, or give a larger --limit.");
        }
    }
}
