using Bakong.Cli.Payments;
using Bakong.Grpc.Admin.V1;
using Bakong.OpenApi.Audit;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Bakong.Cli.Audit;

/// <summary>
/// How <c>audit list</c> and <c>audit api</c> read a running gateway's audit: through its admin API
/// (<c>ListBakongCalls</c>, <c>ListApiCalls</c>), page after page until the command's limit, into the same records the
/// file gives, so both print them one way.
/// </summary>
internal static class AuditGateway
{
    /// <summary>The calls to Bakong since <paramref name="since"/>, newest first; null after writing why not.</summary>
    public static Task<IReadOnlyList<BakongCallRecord>?> BakongCallsAsync(
        CliContext context, Uri server, string? key, DateTimeOffset since, string? endpoint, int limit, CancellationToken cancellationToken) =>
        ReadAsync(context, server, key, limit, async (admin, size, token) =>
        {
            var request = new ListBakongCallsRequest { StartTime = Start(since), Endpoint = endpoint ?? string.Empty, PageSize = size, PageToken = token };
            var page = await admin.ListBakongCallsAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (page.Calls.Select(c => new BakongCallRecord(
                c.Time.ToDateTimeOffset(),
                c.Endpoint,
                c.Subject.Length > 0 ? c.Subject : null,
                c.HttpStatus,
                c.ResponseCode,
                c.ErrorCode,
                c.ResponseMessage.Length > 0 ? c.ResponseMessage : null,
                c.Latency?.ToTimeSpan() ?? TimeSpan.Zero,
                c.Attempt,
                c.Outcome)), page.NextPageToken);
        });

    /// <summary>The API calls since <paramref name="since"/>, newest first; null after writing why not.</summary>
    public static Task<IReadOnlyList<ApiCallRecord>?> ApiCallsAsync(
        CliContext context, Uri server, string? key, DateTimeOffset since, string? clientId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(context, server, key, limit, async (admin, size, token) =>
        {
            var request = new ListApiCallsRequest { StartTime = Start(since), ClientId = clientId ?? string.Empty, PageSize = size, PageToken = token };
            var page = await admin.ListApiCallsAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (page.Calls.Select(c => new ApiCallRecord(
                c.Time.ToDateTimeOffset(), c.ClientId, c.Peer, c.Action, c.Target.Length > 0 ? c.Target : null, c.Outcome)), page.NextPageToken);
        });

    private static Timestamp? Start(DateTimeOffset since) => since == DateTimeOffset.MinValue ? null : Timestamp.FromDateTimeOffset(since);

    private static async Task<IReadOnlyList<T>?> ReadAsync<T>(
        CliContext context,
        Uri server,
        string? key,
        int limit,
        Func<AdminService.AdminServiceClient, int, string, Task<(IEnumerable<T> Records, string Next)>> page)
    {
        using var channel = GatewayClient.Open(server, key);
        var admin = new AdminService.AdminServiceClient(channel);
        var records = new List<T>();
        var token = string.Empty;
        try
        {
            do
            {
                // The gateway bounds a page (1000); a larger --limit is several pages.
                var (more, next) = await page(admin, Math.Min(limit - records.Count, 1000), token).ConfigureAwait(false);
                records.AddRange(more);
                token = next;
            }
            while (token.Length > 0 && records.Count < limit);
        }
        catch (RpcException e)
        {
            GatewayClient.ReportError(context, json: false, server, e);
            return null;
        }

        return records;
    }
}
