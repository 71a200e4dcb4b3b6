using Bakong.Khqr;

namespace Bakong.Payments.Reporting;

/// <summary>What <see cref="SettlementReport"/> is asked: a date as <c>YYYY-MM-DD</c> and, optionally, one terminal.</summary>
/// <param name="Date">The business day, <see cref="BusinessDay.DateFormat"/>, in <c>Reports:TimeZone</c>.</param>
/// <param name="TerminalId">Only this terminal's payments; null or empty for every terminal.</param>
public sealed record SettlementReportRequest(string? Date, string? TerminalId = null);

/// <summary>How a report request went.</summary>
public abstract record SettlementReportResult
{
    private SettlementReportResult()
    {
    }

    /// <summary>The report.</summary>
    public sealed record Ready(SettlementDay Report) : SettlementReportResult;

    /// <summary>Bad input (INVALID_ARGUMENT): <c>date</c> or <c>terminal_id</c> named, never echoed.</summary>
    public sealed record Invalid(IReadOnlyList<FieldViolation> Violations) : SettlementReportResult;
}

/// <summary>
/// One business day's settlement: the totals, the paid payments with Bakong's transaction hash and what Bakong says
/// of each now, and the payments a person must look at (paid late, needs review), listed apart.
/// </summary>
/// <param name="Day">The day and its bounds.</param>
/// <param name="TerminalId">The terminal asked for; null for all.</param>
/// <param name="Complete">Whether the day had ended when the report was made (its payments can still change: a payment expired at 23:58 may be found paid late the next day).</param>
/// <param name="GeneratedAt">When the report was made.</param>
/// <param name="Totals">Per terminal × merchant profile × currency × state, in that order; states with no payment are left out.</param>
/// <param name="Paid">The PAID payments, oldest first, each re-verified with Bakong.</param>
/// <param name="PaidLate">The PAID_LATE payments, oldest first, each re-verified with Bakong.</param>
/// <param name="NeedsReview">Payments flagged for review (a transfer that did not match), any state, oldest first.</param>
public sealed record SettlementDay(
    BusinessDay Day,
    string? TerminalId,
    bool Complete,
    DateTimeOffset GeneratedAt,
    IReadOnlyList<SettlementTotal> Totals,
    IReadOnlyList<SettledPayment> Paid,
    IReadOnlyList<SettledPayment> PaidLate,
    IReadOnlyList<SettledPayment> NeedsReview)
{
    /// <summary>Paid or paid-late payments whose Bakong transaction Bakong no longer confirms as stored.</summary>
    public int Disagreements => Paid.Count(p => p.Check.Outcome == ReceiptOutcome.Disagrees) + PaidLate.Count(p => p.Check.Outcome == ReceiptOutcome.Disagrees);

    /// <summary>Paid or paid-late payments Bakong could not be asked about (a fault): the report is not final for them.</summary>
    public int Unverified => Paid.Count(p => p.Check.Outcome == ReceiptOutcome.Unverified) + PaidLate.Count(p => p.Check.Outcome == ReceiptOutcome.Unverified);
}

/// <summary>How many payments of one terminal, currency and state, and their amounts' sum in minor units (riel, cents).</summary>
public sealed record SettlementTotal(string TerminalId, KhqrCurrency Currency, PaymentState State, int Count, long MinorUnits)
{
    /// <summary>The merchant profile the payments were made for (the terminal's at their creation).</summary>
    public string MerchantProfileId { get; init; } = Payment.DefaultMerchantProfileId;

    /// <summary><c>KHR</c> or <c>USD</c>.</summary>
    public string CurrencyCode => Money.CodeOf(Currency);

    /// <summary>The sum in major units without the currency (<c>12.50</c>).</summary>
    public string MajorAmount => Money.FormatMajor(Currency, MinorUnits);
}

/// <summary>A payment in the report and what Bakong said of its transaction when the report was made.</summary>
public sealed record SettledPayment(Payment Payment, ReceiptCheck Check);

/// <summary>What Bakong said when the payment's transaction was checked again.</summary>
public enum ReceiptOutcome
{
    /// <summary>Not checked: the payment has no Bakong transaction to check (a review of a payment still unpaid).</summary>
    NotChecked,

    /// <summary>Bakong has the transaction, with the stored amount, currency and receiver.</summary>
    Agrees,

    /// <summary>Bakong does not find it, reports it failed, or reports other money or another receiver. Flagged, never fixed.</summary>
    Disagrees,

    /// <summary>Bakong could not be asked (a fault); try the report again.</summary>
    Unverified,
}

/// <summary>The outcome of a check and, unless it agrees, why.</summary>
public sealed record ReceiptCheck(ReceiptOutcome Outcome, string? Detail = null)
{
    public static ReceiptCheck NotChecked { get; } = new(ReceiptOutcome.NotChecked);

    public static ReceiptCheck Agrees { get; } = new(ReceiptOutcome.Agrees);
}
