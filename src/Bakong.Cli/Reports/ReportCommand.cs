using System.CommandLine;
using System.Globalization;
using Bakong.Cli.Payments;
using Bakong.Grpc.Admin.V1;
using Grpc.Core;

namespace Bakong.Cli.Reports;

/// <summary>
/// <c>bakong report --date YYYY-MM-DD [--terminal ID] [--csv | --json]</c>: the end-of-day settlement report of a
/// running gateway, through <c>bakong.admin.v1.AdminService.GetSettlementReport</c> with an operator's key. Text for
/// people, the gateway's CSV (<see cref="SettlementCsv"/>, the same bytes as <c>/v1/reports/settlement.csv</c>), or
/// the response as one JSON object (as REST gives it).
/// </summary>
/// <remarks>Exit codes: 0 the report (disagreements with Bakong are in it, not an error); 1 the gateway refused or is
/// unreachable; 2 bad input (a date the gateway refused).</remarks>
internal sealed class ReportCommand : Command
{
    public ReportCommand(CliContext context)
        : base("report", "The end-of-day settlement report of a business day: totals per terminal, currency and state, the paid payments re-checked with Bakong, paid-late and needs-review ones apart. Needs an operator's key.")
    {
        var date = new Option<string>("--date") { Description = "The business day, YYYY-MM-DD, in the gateway's Reports:TimeZone (default Asia/Phnom_Penh).", Required = true, HelpName = "YYYY-MM-DD" };
        var terminal = new Option<string?>("--terminal") { Description = "Only this terminal's payments.", HelpName = "id" };
        var csv = new Option<bool>("--csv") { Description = "Write the report as CSV (RFC 4180, UTF-8; amounts in major units beside their currency)." };
        var json = new Option<bool>("--json") { Description = "Write the report as one JSON object (the REST answer of GET /v1/reports/settlement)." };
        var server = GatewayClient.ServerOption();
        var key = GatewayClient.KeyOption();
        key.Description = "An operator's API key. Default: $" + GatewayClient.KeyVariable + ".";
        Options.Add(date);
        Options.Add(terminal);
        Options.Add(csv);
        Options.Add(json);
        Options.Add(server);
        Options.Add(key);
        Validators.Add(result =>
        {
            if (result.GetValue(csv) && result.GetValue(json))
            {
                result.AddError("--csv and --json: give one of them.");
            }
        });
        SetAction(async (parseResult, cancellationToken) =>
        {
            var uri = parseResult.GetValue(server)!;
            var asJson = parseResult.GetValue(json);
            using var channel = GatewayClient.Open(uri, GatewayClient.KeyOf(parseResult, key));
            var client = new AdminService.AdminServiceClient(channel);
            GetSettlementReportResponse report;
            try
            {
                report = await client.GetSettlementReportAsync(
                    new GetSettlementReportRequest { Date = parseResult.GetValue(date) ?? "", TerminalId = parseResult.GetValue(terminal) ?? "" },
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                return GatewayClient.ReportError(context, asJson, uri, e);
            }

            if (parseResult.GetValue(csv))
            {
                await context.Output.WriteAsync(SettlementCsv.Write(report)).ConfigureAwait(false);
            }
            else if (asJson)
            {
                await context.Output.WriteLineAsync(ProtoJson.Line(report)).ConfigureAwait(false);
            }
            else
            {
                Write(context, report);
            }

            await context.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
    }

    private static void Write(CliContext context, GetSettlementReportResponse report)
    {
        var output = context.Output;
        output.WriteLine("Settlement " + report.Date + " (" + report.TimeZone + ")" + (report.TerminalId.Length > 0 ? "  terminal " + report.TerminalId : "")
            + (report.Complete ? "" : "  the day is not over yet"));
        Table(output, ["TERMINAL", "CURRENCY", "STATE", "COUNT", "TOTAL"], report.Totals.Select(t => new[]
        {
            t.TerminalId, t.CurrencyCode, PaymentText.Name(t.State), t.Count.ToString(CultureInfo.InvariantCulture), t.Total,
        }), rightAligned: [3, 4]);
        Section(context, "Paid", report.Paid);
        Section(context, "Paid late (money after the POS gave up: accept or refund)", report.PaidLate);
        Section(context, "Needs review (a transfer that did not match)", report.NeedsReview);
        output.WriteLine(report.DisagreementCount == 0 && report.UnverifiedCount == 0
            ? "Bakong confirms every paid payment."
            : string.Create(CultureInfo.InvariantCulture, $"{report.DisagreementCount} paid payment(s) Bakong disagrees with, {report.UnverifiedCount} Bakong could not be asked about: see BAKONG above."));
    }

    private static void Section(CliContext context, string title, IEnumerable<SettledPayment> payments)
    {
        var rows = payments.Select(p => new[]
        {
            p.Payment.PaymentId, p.Payment.TerminalId, p.Amount + " " + p.Payment.Amount?.CurrencyCode, p.Payment.BakongTransaction?.Hash ?? "",
            Check(p.BakongCheck) + (p.CheckDetail.Length > 0 ? ": " + p.CheckDetail : p.Payment.ReviewReason.Length > 0 ? ": " + p.Payment.ReviewReason : "")
                + Resolution(p.Payment.Resolution),
        }).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        context.Output.WriteLine();
        context.Output.WriteLine(title);
        Table(context.Output, ["PAYMENT", "TERMINAL", "AMOUNT", "TRANSACTION", "BAKONG"], rows, rightAligned: [2]);
    }

    /// <summary>How a paid-late or reviewed payment was resolved ('bakong resolve'), or nothing while it waits.</summary>
    private static string Resolution(Grpc.Payments.V1.PaymentResolution? resolution) => resolution switch
    {
        null => "",
        { Kind: Grpc.Payments.V1.PaymentResolution.Types.Kind.Refunded } => "; resolved: refunded " + resolution.Refund?.Hash + " by " + resolution.ResolvedBy,
        _ => "; resolved: accepted by " + resolution.ResolvedBy,
    };

    private static string Check(BakongCheck check) => check switch
    {
        BakongCheck.Agrees => "agrees",
        BakongCheck.Disagrees => "DISAGREES",
        BakongCheck.Unverified => "unverified",
        _ => "not checked",
    };

    private static void Table(TextWriter output, string[] header, IEnumerable<string[]> body, int[] rightAligned)
    {
        var rows = body.ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        foreach (var row in rows.Prepend(header))
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => rightAligned.Contains(i) ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]))).TrimEnd());
        }

        if (rows.Count == 0)
        {
            output.WriteLine("(no payments)");
        }
    }
}
