using System.Globalization;
using System.Text;
namespace Bakong.Grpc.Admin.V1;

/// <summary>
/// The settlement report as CSV (RFC 4180: a header line, CRLF line ends, a field quoted when it holds a comma, a quote
/// or a line break, quotes doubled), UTF-8 without a byte order mark. One table: the totals (<c>section</c> "total"),
/// then the paid, paid-late and needs-review payments, amounts in major units beside their currency.
/// </summary>
/// <remarks>
/// The one writer of this format, over the contract's types (hence the contract's namespace): the gateway serves it at
/// <c>/v1/reports/settlement.csv</c> and <c>bakong report --csv</c> compiles this same file (it cannot reference the
/// gateway), so both give the same bytes. Free text a client
/// gave (an order reference) that a spreadsheet would run as a formula (<c>= + - @</c>) is prefixed with <c>'</c>.
/// </remarks>
internal static class SettlementCsv
{
    public const string ContentType = "text/csv; charset=utf-8; header=present";

    private static readonly string[] s_header =
    [
        "section", "terminal_id", "currency", "state", "count", "amount",
        "payment_id", "order_ref", "create_time", "settle_time", "transaction_hash", "bakong_check", "detail",

        // Last, so that the columns a spreadsheet already reads by position stay where they were.
        "merchant_profile_id",
    ];

    public static string Write(GetSettlementReportResponse report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var csv = new StringBuilder();
        Row(csv, s_header);
        foreach (var total in report.Totals)
        {
            Row(csv, ["total", total.TerminalId, total.CurrencyCode, StateName(total.State), total.Count.ToString(CultureInfo.InvariantCulture), total.Total,
                "", "", "", "", "", "", "", total.MerchantProfileId]);
        }

        Payments(csv, "paid", report.Paid);
        Payments(csv, "paid_late", report.PaidLate);
        Payments(csv, "needs_review", report.NeedsReview);
        return csv.ToString();
    }

    private static void Payments(StringBuilder csv, string section, IEnumerable<SettledPayment> payments)
    {
        foreach (var settled in payments)
        {
            var p = settled.Payment;
            Row(csv,
            [
                section, p.TerminalId, p.Amount?.CurrencyCode ?? "", StateName(p.State), "1", settled.Amount,
                p.PaymentId, Inert(p.OrderRef), Time(p.CreateTime), Time(p.SettleTime), p.BakongTransaction?.Hash ?? "",
                CheckName(settled.BakongCheck), Inert(section == "needs_review" && p.ReviewReason.Length > 0 ? p.ReviewReason + (settled.CheckDetail.Length > 0 ? "; " + settled.CheckDetail : "") : settled.CheckDetail),
                p.MerchantProfileId,
            ]);
        }
    }

    private static void Row(StringBuilder csv, string[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                csv.Append(',');
            }

            var field = fields[i];
            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                csv.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                csv.Append(field);
            }
        }

        csv.Append("\r\n");
    }

    private static string Inert(string text) => text.Length > 0 && text[0] is '=' or '+' or '-' or '@' ? "'" + text : text;

    private static string Time(Google.Protobuf.WellKnownTypes.Timestamp? time) =>
        time is null ? "" : time.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string StateName(Bakong.Grpc.Payments.V1.Payment.Types.State state) => state switch
    {
        Bakong.Grpc.Payments.V1.Payment.Types.State.Pending => "pending",
        Bakong.Grpc.Payments.V1.Payment.Types.State.Paid => "paid",
        Bakong.Grpc.Payments.V1.Payment.Types.State.Failed => "failed",
        Bakong.Grpc.Payments.V1.Payment.Types.State.Expired => "expired",
        Bakong.Grpc.Payments.V1.Payment.Types.State.Cancelled => "cancelled",
        Bakong.Grpc.Payments.V1.Payment.Types.State.PaidLate => "paid_late",
        _ => "",
    };

    private static string CheckName(BakongCheck check) => check switch
    {
        BakongCheck.NotChecked => "not_checked",
        BakongCheck.Agrees => "agrees",
        BakongCheck.Disagrees => "disagrees",
        BakongCheck.Unverified => "unverified",
        _ => "",
    };
}
