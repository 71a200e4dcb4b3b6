using System.Net;
using System.Net.Http.Headers;
using Bakong.Gateway.Tests.Access;
using Bakong.Grpc.Admin.V1;
using Bakong.Grpc.Payments.V1;
using Google.Rpc;
using Grpc.Core;
using IdentityRole = Bakong.Identity.ClientRole;

namespace Bakong.Gateway.Tests.Reports;

/// <summary>
/// <c>GetSettlementReport</c> and its CSV twin: a business day in Asia/Phnom_Penh (UTC+7), its totals against the
/// payments that made them, Bakong's answer for every paid payment, and who may ask.
/// </summary>
public sealed class SettlementReportTests : IAsyncLifetime
{
    // 23:55 and 00:05 in Phnom Penh, either side of the midnight between 2026-03-01 and 2026-03-02.
    private static readonly DateTimeOffset s_beforeMidnight = new(2026, 3, 1, 16, 55, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_afterMidnight = new(2026, 3, 1, 17, 5, 0, TimeSpan.Zero);

    private readonly GatewayFactory _gateway = ApiKeys.Gateway();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task The_report_of_a_day_counts_and_sums_the_payments_created_in_it_by_terminal_currency_and_state()
    {
        var key = _gateway.AddClient(IdentityRole.Operator);
        var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + key));
        _gateway.AdvanceAndPollTo(s_beforeMidnight);
        var paid1 = await PaidAsync(key, "d1-a", 5000, "till-1");
        var paid2 = await PaidAsync(key, "d1-b", 2500, "till-1");
        var cancelled = (await _gateway.PaymentsAs(key).CreatePaymentAsync(Requests.Create("d1-c", 7000, "till-1"), cancellationToken: Ct)).Payment;
        await _gateway.PaymentsAs(key).CancelPaymentAsync(new CancelPaymentRequest { PaymentId = cancelled.PaymentId }, cancellationToken: Ct);
        var other = await PaidAsync(key, "d1-d", 3000, "till-2");
        _gateway.AdvanceAndPollTo(s_afterMidnight);
        var nextDay = await PaidAsync(key, "d2-a", 9000, "till-1");

        var day1 = await admin.GetSettlementReportAsync(new GetSettlementReportRequest { Date = "2026-03-01" }, cancellationToken: Ct);
        var day2 = await admin.GetSettlementReportAsync(new GetSettlementReportRequest { Date = "2026-03-02" }, cancellationToken: Ct);
        var till2 = await admin.GetSettlementReportAsync(new GetSettlementReportRequest { Date = "2026-03-01", TerminalId = "till-2" }, cancellationToken: Ct);

        Assert.Equal(("Asia/Phnom_Penh", new DateTime(2026, 2, 28, 17, 0, 0, DateTimeKind.Utc), new DateTime(2026, 3, 1, 17, 0, 0, DateTimeKind.Utc)),
            (day1.TimeZone, day1.StartTime.ToDateTime(), day1.EndTime.ToDateTime()));
        Assert.True(day1.Complete);
        Assert.False(day2.Complete);

        // The totals are those of the payments that made them, each counted once, on the day it was created.
        Assert.Equal(
            [("till-1", "KHR", State.Paid, 2, 7500L, "7500"), ("till-1", "KHR", State.Cancelled, 1, 7000L, "7000"), ("till-2", "KHR", State.Paid, 1, 3000L, "3000")],
            day1.Totals.Select(t => (t.TerminalId, t.CurrencyCode, t.State, t.Count, t.TotalMinorUnits, t.Total)));
        Assert.Equal([("till-1", "KHR", State.Paid, 1, 9000L, "9000")], day2.Totals.Select(t => (t.TerminalId, t.CurrencyCode, t.State, t.Count, t.TotalMinorUnits, t.Total)));
        Assert.Equal(
            [(paid1.PaymentId, paid1.BakongTransaction.Hash), (paid2.PaymentId, paid2.BakongTransaction.Hash), (other.PaymentId, other.BakongTransaction.Hash)],
            day1.Paid.Select(p => (p.Payment.PaymentId, p.Payment.BakongTransaction.Hash)));
        Assert.All(day1.Paid, p => Assert.Equal(BakongCheck.Agrees, p.BakongCheck));
        Assert.Equal((0, 0), (day1.DisagreementCount, day1.UnverifiedCount));
        Assert.Equal(nextDay.PaymentId, Assert.Single(day2.Paid).Payment.PaymentId);
        Assert.Equal(other.PaymentId, Assert.Single(till2.Paid).Payment.PaymentId);
        Assert.Equal("till-2", Assert.Single(till2.Totals).TerminalId);
        Assert.Empty(day1.PaidLate);
        Assert.Empty(day1.NeedsReview);
    }

    [Fact]
    public async Task A_paid_payment_that_bakong_no_longer_confirms_is_flagged_and_left_as_it_is()
    {
        var key = _gateway.AddClient(IdentityRole.Operator);
        var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + key));
        var paid = await PaidAsync(key, "gone", 5000, "till-1");

        // The sandbox forgets every transaction it made: Bakong now answers NOT_FOUND for the stored hash.
        _gateway.Sandbox.Reset();
        var report = await admin.GetSettlementReportAsync(new GetSettlementReportRequest { Date = "2026-03-01" }, cancellationToken: Ct);

        var flagged = Assert.Single(report.Paid);
        Assert.Equal((BakongCheck.Disagrees, "Bakong does not find the transaction"), (flagged.BakongCheck, flagged.CheckDetail));
        Assert.Equal(1, report.DisagreementCount);
        Assert.Equal(State.Paid, (await _gateway.PaymentsAs(key).GetPaymentAsync(new GetPaymentRequest { PaymentId = paid.PaymentId }, cancellationToken: Ct)).Payment.State);
        Assert.Single(_gateway.Logs.Named("SettlementDisagreement"));
    }

    [Fact]
    public async Task A_terminal_key_is_refused_the_report_and_its_csv_and_no_key_is_unauthenticated()
    {
        var terminal = _gateway.AddClient(IdentityRole.Terminal, "till-1");
        var asTerminal = new AdminService.AdminServiceClient(_gateway.As("Bearer " + terminal));

        var denied = await Assert.ThrowsAsync<RpcException>(() => asTerminal.GetSettlementReportAsync(new GetSettlementReportRequest { Date = "2026-03-01" }, cancellationToken: Ct).ResponseAsync);
        using var http = _gateway.CreateClient();
        using var anonymous = await http.GetAsync("/v1/reports/settlement.csv?date=2026-03-01", Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/reports/settlement.csv?date=2026-03-01");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", terminal);
        using var forbidden = await http.SendAsync(request, Ct);
        using var restRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/reports/settlement?date=2026-03-01");
        restRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", terminal);
        using var restForbidden = await http.SendAsync(restRequest, Ct);

        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, restForbidden.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2026-13-01")]
    [InlineData("01/03/2026")]
    [InlineData("2026-03-01T00:00:00")]
    public async Task A_bad_date_is_invalid_argument_naming_date_without_echoing_it(string date)
    {
        var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + _gateway.AddClient(IdentityRole.Operator)));

        var error = await Assert.ThrowsAsync<RpcException>(() => admin.GetSettlementReportAsync(new GetSettlementReportRequest { Date = date }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal("date", violation.Field);
        if (date.Length > 0)
        {
            Assert.DoesNotContain(date, violation.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_rest_report_and_the_csv_twin_give_the_same_day_to_an_operator()
    {
        var key = _gateway.AddClient(IdentityRole.Operator);
        var paid = await PaidAsync(key, "csv-1", 5000, "till-1", orderRef: "=SUM(A1), \"a\"");
        var cancelled = (await _gateway.PaymentsAs(key).CreatePaymentAsync(Requests.Create("csv-2", 1200, "till-1"), cancellationToken: Ct)).Payment;
        await _gateway.PaymentsAs(key).CancelPaymentAsync(new CancelPaymentRequest { PaymentId = cancelled.PaymentId }, cancellationToken: Ct);
        using var http = _gateway.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        using var json = await http.GetAsync("/v1/reports/settlement?date=2026-03-01&terminal_id=till-1", Ct);
        using var csv = await http.GetAsync("/v1/reports/settlement.csv?date=2026-03-01", Ct);
        using var badCsv = await http.GetAsync("/v1/reports/settlement.csv?date=tomorrow", Ct);
        var text = await csv.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Contains(paid.BakongTransaction.Hash, await json.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Equal(
            [
                "section,terminal_id,currency,state,count,amount,payment_id,order_ref,create_time,settle_time,transaction_hash,bakong_check,detail,merchant_profile_id",
                "total,till-1,KHR,paid,1,5000,,,,,,,,default",
                "total,till-1,KHR,cancelled,1,1200,,,,,,,,default",
                $"paid,till-1,KHR,paid,1,5000,{paid.PaymentId},\"'=SUM(A1), \"\"a\"\"\",{Utc(paid.CreateTime)},{Utc(paid.SettleTime)},{paid.BakongTransaction.Hash},agrees,,default",
                "",
            ],
            text.Split("\r\n"));
        Assert.Equal(HttpStatusCode.BadRequest, badCsv.StatusCode);
        Assert.Contains("\"date\"", await badCsv.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private static string Utc(Google.Protobuf.WellKnownTypes.Timestamp time) =>
        time.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Creates a payment with the operator's key and has the customer pay it; returns it PAID.</summary>
    private async Task<Bakong.Grpc.Payments.V1.Payment> PaidAsync(string key, string requestId, long riel, string terminal, string? orderRef = null)
    {
        var payments = _gateway.PaymentsAs(key);
        var request = Requests.Create(requestId, riel, terminal);
        request.OrderRef = orderRef ?? request.OrderRef;
        var created = (await payments.CreatePaymentAsync(request, cancellationToken: Ct)).Payment;
        await _gateway.CheckedAsync(created.PaymentId, checks: 1);
        await _gateway.PayAsync(created.Khqr);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        await _gateway.Store.SavedAsync(created.PaymentId, p => p.State == PaymentState.Paid).WaitAsync(GatewayFactory.Timeout, Ct);
        return (await payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;
    }
}
