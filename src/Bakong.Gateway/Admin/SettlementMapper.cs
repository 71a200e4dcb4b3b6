using Bakong.Gateway.Rpc;
using Bakong.Grpc.Admin.V1;
using Bakong.Payments.Reporting;
using Google.Protobuf.WellKnownTypes;

namespace Bakong.Gateway.Admin;

/// <summary>The settlement report (<see cref="SettlementDay"/>) as <c>GetSettlementReportResponse</c>; amounts as text by the domain's money rule.</summary>
internal static class SettlementMapper
{
    public static GetSettlementReportResponse ToProto(SettlementDay report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var response = new GetSettlementReportResponse
        {
            Date = report.Day.Date.ToString(BusinessDay.DateFormat, System.Globalization.CultureInfo.InvariantCulture),
            TimeZone = report.Day.Zone.Id,
            StartTime = Timestamp.FromDateTimeOffset(report.Day.Start),
            EndTime = Timestamp.FromDateTimeOffset(report.Day.End),
            TerminalId = report.TerminalId ?? "",
            Complete = report.Complete,
            GenerateTime = Timestamp.FromDateTimeOffset(report.GeneratedAt),
            DisagreementCount = report.Disagreements,
            UnverifiedCount = report.Unverified,
        };
        response.Totals.AddRange(report.Totals.Select(t => new Grpc.Admin.V1.SettlementTotal
        {
            TerminalId = t.TerminalId,
            CurrencyCode = t.CurrencyCode,
            State = PaymentMapper.ToProto(t.State),
            Count = t.Count,
            TotalMinorUnits = t.MinorUnits,
            Total = t.MajorAmount,
            MerchantProfileId = t.MerchantProfileId,
        }));
        response.Paid.AddRange(report.Paid.Select(ToProto));
        response.PaidLate.AddRange(report.PaidLate.Select(ToProto));
        response.NeedsReview.AddRange(report.NeedsReview.Select(ToProto));
        return response;
    }

    private static Grpc.Admin.V1.SettledPayment ToProto(Payments.Reporting.SettledPayment settled) => new()
    {
        Payment = PaymentMapper.ToProto(settled.Payment),
        BakongCheck = settled.Check.Outcome switch
        {
            ReceiptOutcome.NotChecked => BakongCheck.NotChecked,
            ReceiptOutcome.Agrees => BakongCheck.Agrees,
            ReceiptOutcome.Disagrees => BakongCheck.Disagrees,
            ReceiptOutcome.Unverified => BakongCheck.Unverified,
            _ => BakongCheck.Unspecified,
        },
        CheckDetail = settled.Check.Detail ?? "",
        Amount = Payments.Money.FormatMajor(settled.Payment.Money.Currency, settled.Payment.Money.MinorUnits),
    };
}
