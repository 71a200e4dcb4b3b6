using Bakong.Gateway.Access;
using Bakong.Grpc.Admin.V1;
using Bakong.Payments;
using Bakong.Payments.Reporting;
using Grpc.Core;

namespace Bakong.Gateway.Admin;

/// <summary>
/// <c>GET /v1/reports/settlement.csv?date=YYYY-MM-DD[&amp;terminal_id=]</c>: the settlement report as CSV
/// (<see cref="SettlementCsv"/>), for a spreadsheet or an accountant. Plain HTTP, not a gRPC method, so it
/// authenticates here, by the same key check and the rule of <see cref="AccessPolicy.SettlementReportMethod"/>:
/// 401 without a valid key, 403 for a key that is not an operator's, 400 (problem details naming the parameter) for a
/// bad date or terminal id.
/// </summary>
internal static class SettlementCsvEndpoint
{
    public const string Path = "/v1/reports/settlement.csv";

    private const string Route = "GET " + Path;

    public static IEndpointRouteBuilder MapSettlementCsv(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(Path, ServeAsync);
        return endpoints;
    }

    private static async Task<IResult> ServeAsync(
        HttpContext http, CallerAuthentication authentication, RefusalMetrics refusals, SettlementReport reports, ILogger<SettlementReport> logger)
    {
        var peer = http.Connection.RemoteIpAddress?.ToString() ?? "-";
        var authorization = http.Request.Headers.Authorization;
        var outcome = authentication.Authenticate(authorization.Count == 1 ? authorization[0] : null, http.Connection.ClientCertificate);
        if (outcome.Caller is not { } caller)
        {
            outcome.LogRefusal(logger, Path, peer);
            refusals.CountHttp(Route, StatusCode.Unauthenticated);
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized,
                title: outcome.CertificateRefusal ?? "This call needs an API key: send 'Authorization: Bearer <key>' with an operator's key from 'bakong clients add'.");
        }

        if (!AccessPolicy.Allows(caller, AccessPolicy.Of(AccessPolicy.SettlementReportMethod)))
        {
            AccessLog.NotOperator(logger, Path, caller.Id, peer);
            refusals.CountHttp(Route, StatusCode.PermissionDenied);
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Only an operator's key may make this call.");
        }

        var query = http.Request.Query;
        var request = new SettlementReportRequest(Single(query["date"]), Single(query["terminal_id"]) ?? Single(query["terminalId"]));
        var result = await reports.GetAsync(request, http.RequestAborted).ConfigureAwait(false);
        if (result is SettlementReportResult.Invalid invalid)
        {
            return Problem(invalid.Violations);
        }

        var report = ((SettlementReportResult.Ready)result).Report;
        var name = "settlement-" + report.Day.Date.ToString(BusinessDay.DateFormat, System.Globalization.CultureInfo.InvariantCulture)
            + (report.TerminalId is { } terminal ? "-" + terminal : "") + ".csv";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"" + name + "\"";
        return Results.Text(SettlementCsv.Write(SettlementMapper.ToProto(report)), SettlementCsv.ContentType, System.Text.Encoding.UTF8);
    }

    private static IResult Problem(IReadOnlyList<FieldViolation> violations) => Results.ValidationProblem(
        violations.GroupBy(v => v.Field).ToDictionary(g => g.Key, g => g.Select(v => v.Description).ToArray()),
        title: "Invalid " + string.Join(", ", violations.Select(v => v.Field).Distinct()) + ": " + string.Join("; ", violations.Select(v => v.Description)));

    /// <summary>A query value given once; a repeated parameter counts as a bad one (an empty string).</summary>
    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) => values.Count switch
    {
        0 => null,
        1 => values[0],
        _ => "",
    };
}
