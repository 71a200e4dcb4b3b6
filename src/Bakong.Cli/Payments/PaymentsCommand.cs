using System.CommandLine;
using System.Globalization;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;

namespace Bakong.Cli.Payments;

/// <summary><c>bakong payments list|load</c>: the gateway's payments, newest first; CreatePayment load.</summary>
internal sealed class PaymentsCommand : Command
{
    public PaymentsCommand(CliContext context)
        : base("payments", "Look at the gateway's payments.")
    {
        Subcommands.Add(List(context));
        Subcommands.Add(LoadCommand.Create(context));
    }

    private static Command List(CliContext context)
    {
        var states = new Option<string[]>("--state")
        {
            Description = "Only payments in this state: pending, paid, failed, expired, cancelled, paid_late (repeat for several).",
        };
        var terminal = new Option<string?>("--terminal") { Description = "Only payments of this POS terminal." };
        var limit = new Option<int>("--limit") { Description = "At most this many payments (newest first).", DefaultValueFactory = _ => 20 };
        var server = GatewayClient.ServerOption();
        var key = GatewayClient.KeyOption();
        var json = GatewayClient.JsonOption("Write one JSON object per payment, one per line, instead of the table, for scripts.");
        var command = new Command("list", "List payments, newest first, as a table (or one JSON object per line with --json).")
        {
            states, terminal, limit, server, key, json,
        };
        states.Validators.Add(result =>
        {
            foreach (var state in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (PaymentText.ParseState(state) is null)
                {
                    result.AddError($"--state: '{state}' is not one of pending, paid, failed, expired, cancelled, paid_late.");
                }
            }
        });
        limit.Validators.Add(result =>
        {
            if (!result.Implicit && result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError("--limit: must be greater than zero.");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var request = new ListPaymentsRequest { TerminalId = parseResult.GetValue(terminal) ?? string.Empty };
            request.States.AddRange((parseResult.GetValue(states) ?? []).Select(s => PaymentText.ParseState(s)!.Value).Distinct());
            var wanted = parseResult.GetValue(limit);
            var uri = parseResult.GetValue(server)!;
            var asJson = parseResult.GetValue(json);

            using var channel = GatewayClient.Open(uri, GatewayClient.KeyOf(parseResult, key));
            var client = new PaymentService.PaymentServiceClient(channel);
            var payments = new List<Payment>();
            var more = false;
            try
            {
                do
                {
                    request.PageSize = Math.Min(500, wanted - payments.Count);
                    var page = await client.ListPaymentsAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
                    payments.AddRange(page.Payments.Take(wanted - payments.Count));
                    request.PageToken = page.NextPageToken;
                }
                while (request.PageToken.Length > 0 && payments.Count < wanted);

                // A full page may still end the list: one more look says whether --limit cut it short.
                if (request.PageToken.Length > 0)
                {
                    request.PageSize = 1;
                    more = (await client.ListPaymentsAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false)).Payments.Count > 0;
                }
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                return GatewayClient.ReportError(context, asJson, uri, e);
            }

            Write(context, payments, more, asJson);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Write(CliContext context, List<Payment> payments, bool more, bool json)
    {
        var output = context.Output;
        if (json)
        {
            foreach (var payment in payments)
            {
                output.WriteLine(ProtoJson.Line(payment)); // one element of REST's ListPayments "payments"
            }

            output.Flush();
            return;
        }

        string[] header = ["CREATED", "PAYMENT", "TERMINAL", "STATE", "AMOUNT", "ORDER"];
        var rows = payments.Select(p => new[]
        {
            PaymentText.Time(p.CreateTime, context.TimeProvider),
            p.PaymentId,
            p.TerminalId,
            PaymentText.Name(p.State) + (p.NeedsReview ? " (review)" : ""),
            PaymentText.Amount(p.Amount),
            p.OrderRef,
        }).ToList();
        foreach (var line in TextTable.Lines([header, .. rows], 4)) // the amount right-aligned
        {
            output.WriteLine(line);
        }

        if (rows.Count == 0)
        {
            output.WriteLine("(no payments)");
        }

        output.WriteLine(
            payments.Count.ToString(CultureInfo.InvariantCulture) + " payment" + (payments.Count == 1 ? "" : "s")
            + (more ? " (the newest; there are more: raise --limit)" : ""));
        output.Flush();
    }
}
