using Bakong.Khqr;
using Bakong.OpenApi.Client;
using Bakong.Payments.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Reporting;

/// <summary>
/// The end-of-day settlement use case: the payments created in a business day (and, optionally, by one terminal),
/// counted and summed per terminal × currency × state, with every paid and paid-late payment checked again with
/// Bakong by its transaction hash (<c>check_transaction_by_hash_list</c>, at most 50 per call).
/// </summary>
/// <remarks>
/// A day's payments are those <em>created</em> in it: a payment lives at most ten minutes, so its money belongs to the
/// day its QR was shown, and a report of a closed day does not move when a late payment settles after midnight
/// (except that a reconciliation may still turn an expired one into PAID_LATE; the report says whether the day is
/// <see cref="SettlementDay.Complete"/>). A disagreement with Bakong is reported, never written back: only the poller
/// changes a payment, and a person decides what a disagreement means.
/// </remarks>
public sealed class SettlementReport
{
    private readonly IPaymentStore _store;
    private readonly IBakongClient _bakong;
    private readonly TimeZoneInfo _zone;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public SettlementReport(IPaymentStore store, IBakongClient bakong, IOptions<ReportOptions> options, TimeProvider time, ILogger<SettlementReport> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(bakong);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _bakong = bakong;
        _zone = options.Value.Zone;
        _time = time;
        _logger = logger;
    }

    /// <summary>Checks the request's fields: <c>date</c> as <see cref="BusinessDay.DateFormat"/>, <c>terminal_id</c> by <see cref="Identifier"/>.</summary>
    public static IReadOnlyList<FieldViolation> Validate(SettlementReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var violations = new List<FieldViolation>();
        if (string.IsNullOrEmpty(request.Date))
        {
            violations.Add(new FieldViolation("date", "required, as YYYY-MM-DD"));
        }
        else if (!BusinessDay.TryParseDate(request.Date, out _))
        {
            violations.Add(new FieldViolation("date", "not a date as YYYY-MM-DD (e.g. 2026-12-02)"));
        }

        if (!string.IsNullOrEmpty(request.TerminalId) && Identifier.Check(request.TerminalId, "terminal_id", PaymentLimits.TerminalId) is { } terminal)
        {
            violations.Add(terminal);
        }

        return violations;
    }

    public async Task<SettlementReportResult> GetAsync(SettlementReportRequest request, CancellationToken cancellationToken)
    {
        if (Validate(request) is { Count: > 0 } violations || !BusinessDay.TryParseDate(request.Date, out var date))
        {
            return new SettlementReportResult.Invalid(Validate(request));
        }

        var day = BusinessDay.Of(date, _zone);
        var terminal = string.IsNullOrEmpty(request.TerminalId) ? null : request.TerminalId;
        var payments = await ReadDayAsync(day, terminal, cancellationToken).ConfigureAwait(false);

        var checks = await CheckWithBakongAsync(payments, cancellationToken).ConfigureAwait(false);
        List<SettledPayment> paid = [], paidLate = [], review = [];
        foreach (var payment in payments)
        {
            var check = checks.GetValueOrDefault(payment.Id, ReceiptCheck.NotChecked);
            if (payment.State == PaymentState.Paid)
            {
                paid.Add(new SettledPayment(payment, check));
            }
            else if (payment.State == PaymentState.PaidLate)
            {
                paidLate.Add(new SettledPayment(payment, check));
            }

            if (payment.NeedsReview)
            {
                review.Add(new SettledPayment(payment, check));
            }
        }

        var now = _time.GetUtcNow();
        var report = new SettlementDay(day, terminal, now >= day.End, now, Totals(payments), paid, paidLate, review);
        ReportLog.Made(_logger, day.Date, terminal ?? "*", payments.Count, report.Disagreements, report.Unverified);
        return new SettlementReportResult.Ready(report);
    }

    /// <summary>The day's payments, oldest first, read a page at a time.</summary>
    private async Task<List<Payment>> ReadDayAsync(BusinessDay day, string? terminal, CancellationToken cancellationToken)
    {
        var payments = new List<Payment>();
        var query = new PaymentQuery { TerminalId = terminal, CreatedFrom = day.Start, CreatedTo = day.End, PageSize = PaymentLimits.MaxPageSize };
        do
        {
            var page = await _store.ListAsync(query, cancellationToken).ConfigureAwait(false);
            payments.AddRange(page.Payments);
            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken is not null);

        payments.Reverse();
        return payments;
    }

    private static List<SettlementTotal> Totals(List<Payment> payments)
    {
        // A terminal has one profile at a time; a day on which its profile changed has a row for each.
        var totals = new SortedDictionary<(string Terminal, string Profile, KhqrCurrency Currency, PaymentState State), (int Count, long Minor)>(
            Comparer<(string, string, KhqrCurrency, PaymentState)>.Create(
                static (a, b) => string.CompareOrdinal(a.Item1, b.Item1) is var t and not 0 ? t
                    : string.CompareOrdinal(a.Item2, b.Item2) is var p and not 0 ? p
                    : a.Item3.CompareTo(b.Item3) is var c and not 0 ? c
                    : a.Item4.CompareTo(b.Item4)));
        foreach (var payment in payments)
        {
            var key = (payment.TerminalId, payment.MerchantProfileId, payment.Money.Currency, payment.State);
            var sum = totals.GetValueOrDefault(key);
            totals[key] = (sum.Count + 1, checked(sum.Minor + payment.Money.MinorUnits));
        }

        return [.. totals.Select(t => new SettlementTotal(t.Key.Terminal, t.Key.Currency, t.Key.State, t.Value.Count, t.Value.Minor) { MerchantProfileId = t.Key.Profile })];
    }

    /// <summary>Every paid and paid-late payment's transaction, asked of Bakong again by hash; keyed by payment id.</summary>
    private async Task<Dictionary<string, ReceiptCheck>> CheckWithBakongAsync(List<Payment> payments, CancellationToken cancellationToken)
    {
        var checks = new Dictionary<string, ReceiptCheck>(StringComparer.Ordinal);
        var settled = payments.Where(p => p.State is PaymentState.Paid or PaymentState.PaidLate).ToList();
        var hashes = settled.Where(p => p.Transaction is not null).Select(p => p.Transaction!.Hash).ToList();
        var answers = hashes.Count == 0
            ? new Dictionary<string, BakongResult<TransactionCheck>>()
            : await _bakong.CheckTransactionsByHashAsync(hashes, cancellationToken).ConfigureAwait(false);
        foreach (var payment in settled)
        {
            var check = Compare(payment, payment.Transaction is { } stored ? answers.GetValueOrDefault(stored.Hash) : null);
            if (check.Outcome == ReceiptOutcome.Disagrees)
            {
                ReportLog.Disagreement(_logger, payment.Id, payment.Transaction?.Hash ?? "-", check.Detail!);
            }

            checks[payment.Id] = check;
        }

        return checks;
    }

    /// <summary>What Bakong's answer says of the payment's stored transaction; the match is the payment's own rule.</summary>
    private static ReceiptCheck Compare(Payment payment, BakongResult<TransactionCheck>? answer)
    {
        if (payment.Transaction is null)
        {
            return new ReceiptCheck(ReceiptOutcome.Disagrees, "the payment is " + PaymentStateNames.Of(payment.State) + " but holds no Bakong transaction");
        }

        if (answer is null || !answer.IsSuccess)
        {
            return new ReceiptCheck(ReceiptOutcome.Unverified, "Bakong could not be asked: " + (answer?.Failure ?? "no answer for this hash"));
        }

        return answer.Value switch
        {
            TransactionCheck.Paid { Transaction: var found } when !string.Equals(found.Hash, payment.Transaction.Hash, StringComparison.OrdinalIgnoreCase) =>
                new ReceiptCheck(ReceiptOutcome.Disagrees, "Bakong answered with another transaction"),
            TransactionCheck.Paid { Transaction: var found } => payment.MismatchOf(found) is { } mismatch
                ? new ReceiptCheck(ReceiptOutcome.Disagrees, "Bakong now reports " + mismatch)
                : ReceiptCheck.Agrees,
            TransactionCheck.NotFound => new ReceiptCheck(ReceiptOutcome.Disagrees, "Bakong does not find the transaction"),
            TransactionCheck.Failed => new ReceiptCheck(ReceiptOutcome.Disagrees, "Bakong reports the transaction failed"),
            _ => new ReceiptCheck(ReceiptOutcome.Disagrees, "Bakong answered that it cannot track this transaction"),
        };
    }
}

/// <summary>The report's log events (2020–2029).</summary>
internal static partial class ReportLog
{
    [LoggerMessage(EventId = 2020, EventName = "SettlementReportMade", Level = LogLevel.Information,
        Message = "Settlement report for {Day}, terminal {TerminalId}: {Count} payments, {Disagreements} disagreeing with Bakong, {Unverified} unverified")]
    public static partial void Made(ILogger logger, DateOnly day, string terminalId, int count, int disagreements, int unverified);

    [LoggerMessage(EventId = 2021, EventName = "SettlementDisagreement", Level = LogLevel.Warning,
        Message = "Payment {PaymentId} (transaction {Hash}) disagrees with Bakong: {Detail}; flagged in the report, not changed")]
    public static partial void Disagreement(ILogger logger, string paymentId, string hash, string detail);
}
