using Bakong.Gateway.Rpc;
using Bakong.Grpc.Admin.V1;
using Bakong.Identity;
using Bakong.OpenApi.Audit;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Bakong.Gateway.Admin;

/// <summary>
/// The audits in the admin API: the calls to Bakong and the API audit, one bounded page at a time, newest first, from
/// the store the gateway holds (<see cref="CallAudit"/>: the LiteDB file, so no other process opens it, or PostgreSQL's
/// tables).
/// </summary>
internal sealed partial class AdminGrpcService
{
    /// <summary>The longest endpoint, outcome or action a filter takes: longer ones name nothing the audit holds.</summary>
    internal const int MaxFilterLength = 100;

    public override async Task<ListBakongCallsResponse> ListBakongCalls(ListBakongCallsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var violations = new List<Payments.FieldViolation>();
        var query = ToQuery(request.StartTime, request.EndTime, request.PageSize, request.PageToken, violations);
        CheckFilter(request.Endpoint, "endpoint", violations);
        CheckFilter(request.Outcome, "outcome", violations);
        if (violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument(violations);
        }

        var page = await services.GetRequiredService<CallAudit>().PageBakongCallsAsync(
            query, new BakongCallFilter(NullIfEmpty(request.Endpoint), NullIfEmpty(request.Outcome), request.ErrorCode), context.CancellationToken).ConfigureAwait(false);
        var response = new ListBakongCallsResponse { NextPageToken = page.Next?.Encode() ?? string.Empty };
        response.Calls.AddRange(page.Records.Select(ToProto));
        return response;
    }

    public override async Task<ListApiCallsResponse> ListApiCalls(ListApiCallsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var violations = new List<Payments.FieldViolation>();
        var query = ToQuery(request.StartTime, request.EndTime, request.PageSize, request.PageToken, violations);
        if (request.ClientId.Length > 0 && request.ClientId != "-" && !ApiKey.IsClientId(request.ClientId))
        {
            violations.Add(new Payments.FieldViolation("client_id", $"not a client id ({ApiKey.ClientIdLength} lower-case letters and digits, or - for calls without a valid key)"));
        }

        CheckFilter(request.Action, "action", violations);
        CheckFilter(request.Outcome, "outcome", violations);
        if (violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument(violations);
        }

        var page = await services.GetRequiredService<CallAudit>().PageApiCallsAsync(
            query, new ApiCallFilter(NullIfEmpty(request.ClientId), NullIfEmpty(request.Action), NullIfEmpty(request.Outcome)), context.CancellationToken).ConfigureAwait(false);
        var response = new ListApiCallsResponse { NextPageToken = page.Next?.Encode() ?? string.Empty };
        response.Calls.AddRange(page.Records.Select(ToProto));
        return response;
    }

    /// <summary>The window and page of an audit request; each bad field a violation naming it.</summary>
    private static AuditQuery ToQuery(Timestamp? startTime, Timestamp? endTime, int pageSize, string pageToken, List<Payments.FieldViolation> violations)
    {
        var start = PaymentMapper.ToTime(startTime, "start_time", violations);
        var end = PaymentMapper.ToTime(endTime, "end_time", violations);
        if (start is { } s && end is { } e && e <= s)
        {
            violations.Add(new Payments.FieldViolation("end_time", "must be after start_time"));
        }

        if (pageSize is < 0 or > AuditQuery.MaxPageSize)
        {
            violations.Add(new Payments.FieldViolation("page_size", $"must be 1 to {AuditQuery.MaxPageSize} (0 for {AuditQuery.DefaultPageSize})"));
        }

        AuditCursor? after = null;
        if (pageToken.Length > 0)
        {
            if (AuditCursor.TryParse(pageToken, out var cursor))
            {
                after = cursor;
            }
            else
            {
                violations.Add(new Payments.FieldViolation("page_token", "not a next_page_token this gateway gave"));
            }
        }

        return new AuditQuery(start, end, pageSize is > 0 and <= AuditQuery.MaxPageSize ? pageSize : AuditQuery.DefaultPageSize, after);
    }

    private static void CheckFilter(string value, string field, List<Payments.FieldViolation> violations)
    {
        if (value.Length > MaxFilterLength)
        {
            violations.Add(new Payments.FieldViolation(field, $"at most {MaxFilterLength} characters"));
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static BakongCall ToProto(BakongCallRecord record) => new()
    {
        Time = Timestamp.FromDateTimeOffset(record.Time),
        Endpoint = record.Endpoint,
        Subject = record.Subject ?? string.Empty,
        HttpStatus = record.HttpStatus,
        ResponseCode = record.ResponseCode,
        ErrorCode = record.ErrorCode,
        ResponseMessage = record.ResponseMessage ?? string.Empty,
        Latency = Duration.FromTimeSpan(record.Latency),
        Attempt = record.Attempt,
        Outcome = record.Outcome,
    };

    private static ApiCall ToProto(ApiCallRecord record) => new()
    {
        Time = Timestamp.FromDateTimeOffset(record.Time),
        ClientId = record.ClientId,
        Peer = record.Peer,
        Action = record.Action,
        Target = record.Target ?? string.Empty,
        Outcome = record.Outcome,
        Auth = record.Auth,
    };
}
