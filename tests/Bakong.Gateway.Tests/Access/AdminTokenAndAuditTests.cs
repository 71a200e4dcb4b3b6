using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Bakong.Grpc.Admin.V1;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Tokens;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using IdentityRole = Bakong.Identity.ClientRole;
using TokenStatus = Bakong.Grpc.Admin.V1.TokenStatus;

namespace Bakong.Gateway.Tests.Access;

/// <summary>
/// The token and the audits in <c>bakong.admin.v1.AdminService</c>: operators only; the token never leaves the gateway;
/// the audits come a bounded page at a time and a bad window names its field.
/// </summary>
public sealed class AdminTokenAndAuditTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = ApiKeys.Gateway();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    private AdminService.AdminServiceClient AsOperator() =>
        new(_gateway.As("Bearer " + _gateway.AddClient(IdentityRole.Operator)));

    [Fact]
    public async Task A_terminal_or_kiosk_key_is_permission_denied_on_every_token_and_audit_call()
    {
        foreach (var key in new[] { _gateway.AddClient(IdentityRole.Terminal, "till-1"), _gateway.AddClient(IdentityRole.Kiosk, "K-1") })
        {
            var admin = new AdminService.AdminServiceClient(_gateway.As("Bearer " + key));
            Func<Task>[] calls =
            [
                () => admin.GetTokenStatusAsync(new GetTokenStatusRequest(), cancellationToken: Ct).ResponseAsync,
                () => admin.SetTokenAsync(new SetTokenRequest { Token = _gateway.Sandbox.IssueToken().Token }, cancellationToken: Ct).ResponseAsync,
                () => admin.RenewTokenAsync(new RenewTokenRequest(), cancellationToken: Ct).ResponseAsync,
                () => admin.ListBakongCallsAsync(new ListBakongCallsRequest(), cancellationToken: Ct).ResponseAsync,
                () => admin.ListApiCallsAsync(new ListApiCallsRequest(), cancellationToken: Ct).ResponseAsync,
            ];

            foreach (var call in calls)
            {
                Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(call)).StatusCode);
            }
        }

        // Nothing changed: the token is still the one the gateway issued itself at start.
        Assert.False(_gateway.Services.GetRequiredService<BakongTokenManager>().GetStatus().Renewed);
        Assert.Empty(_gateway.Logs.Named("TokenSetByOperator"));
    }

    [Fact]
    public async Task Token_status_shows_expiry_days_left_and_a_masked_email_but_never_the_token()
    {
        var admin = AsOperator();
        var current = (await _gateway.Services.GetRequiredService<BakongTokenManager>().GetCurrentAsync(Ct))!;

        var status = (await admin.GetTokenStatusAsync(new GetTokenStatusRequest(), cancellationToken: Ct)).Token;

        Assert.Equal(("sandbox", TokenStatus.Types.State.Healthy), (status.Environment, status.State));
        Assert.Equal(current.ExpiresAt, status.ExpireTime.ToDateTimeOffset());
        Assert.Equal((int)Math.Floor((current.ExpiresAt!.Value - _gateway.Clock.GetUtcNow()).TotalDays), status.DaysLeft);
        Assert.Equal("g***@sandbox.local", status.EmailHint);
        Assert.Equal(_gateway.Clock.GetUtcNow(), status.SetTime.ToDateTimeOffset());
        Assert.DoesNotContain(current.Value, status.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("gateway@", status.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pasted_token_is_swapped_in_and_never_logged_echoed_or_audited()
    {
        var admin = AsOperator();
        var pasted = _gateway.Sandbox.IssueToken("owner@shop.kh").Token;
        _gateway.Clock.Advance(TimeSpan.FromMinutes(5));

        var set = await admin.SetTokenAsync(new SetTokenRequest { Token = "Bearer " + pasted, Email = "owner@shop.kh" }, cancellationToken: Ct);
        var audit = _gateway.Services.GetRequiredService<LiteDbCallAudit>();
        await audit.FlushAsync(Ct);
        var apiCalls = await admin.ListApiCallsAsync(new ListApiCallsRequest { Action = "SetToken" }, cancellationToken: Ct);

        Assert.Equal(pasted, (await _gateway.Services.GetRequiredService<BakongTokenManager>().GetCurrentAsync(Ct))!.Value);
        Assert.Equal((TokenStatus.Types.State.Healthy, "o***@shop.kh", false), (set.Token.State, set.Token.EmailHint, set.Token.Renewed));
        Assert.Equal(_gateway.Clock.GetUtcNow(), set.Token.SetTime.ToDateTimeOffset());
        Assert.StartsWith("Token saved for Sandbox.", set.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(pasted, set.ToString(), StringComparison.Ordinal);
        var recorded = Assert.Single(apiCalls.Calls);
        Assert.Equal(("OK", ""), (recorded.Outcome, recorded.Target));
        Assert.DoesNotContain(pasted, apiCalls.ToString(), StringComparison.Ordinal);
        Assert.Single(_gateway.Logs.Named("TokenSetByOperator"));
        Assert.All(_gateway.Logs.Entries, log => Assert.DoesNotContain(pasted[^20..], log.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_token_or_email_is_invalid_argument_naming_the_field_without_quoting_it()
    {
        var admin = AsOperator();
        var expired = _gateway.Sandbox.IssueToken(lifetime: TimeSpan.FromMinutes(1)).Token;
        _gateway.Clock.Advance(TimeSpan.FromMinutes(2));
        var before = (await _gateway.Services.GetRequiredService<BakongTokenManager>().GetCurrentAsync(Ct))!.Value;

        var notJwt = await Assert.ThrowsAsync<RpcException>(() => admin.SetTokenAsync(new SetTokenRequest { Token = "7QX2K9ZP4MB1RT8W3NCD" }, cancellationToken: Ct).ResponseAsync);
        var badEmail = await Assert.ThrowsAsync<RpcException>(() => admin.SetTokenAsync(new SetTokenRequest { Token = _gateway.Sandbox.IssueToken().Token, Email = "not-an-email" }, cancellationToken: Ct).ResponseAsync);
        var late = await Assert.ThrowsAsync<RpcException>(() => admin.SetTokenAsync(new SetTokenRequest { Token = expired }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(("token", StatusCode.InvalidArgument), (Field(notJwt), notJwt.StatusCode));
        Assert.DoesNotContain("7QX2K9ZP4MB1RT8W3NCD", notJwt.Status.ToString(), StringComparison.Ordinal);
        Assert.Equal("email", Field(badEmail));
        Assert.Equal("token", Field(late));
        Assert.Contains("expired", late.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations[0].Description, StringComparison.Ordinal);
        Assert.DoesNotContain(expired, late.Status.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, (await _gateway.Services.GetRequiredService<BakongTokenManager>().GetCurrentAsync(Ct))!.Value);
    }

    [Fact]
    public async Task Renew_token_gets_a_new_token_from_bakong_and_the_call_shows_in_the_bakong_call_audit()
    {
        var admin = AsOperator();
        var before = (await _gateway.Services.GetRequiredService<BakongTokenManager>().GetCurrentAsync(Ct))!.Value;

        var renewed = await admin.RenewTokenAsync(new RenewTokenRequest(), cancellationToken: Ct);
        await _gateway.Services.GetRequiredService<LiteDbCallAudit>().FlushAsync(Ct);
        var calls = await admin.ListBakongCallsAsync(new ListBakongCallsRequest { Endpoint = "/v1/renew_token" }, cancellationToken: Ct);

        Assert.True(renewed.Token.Renewed);
        Assert.StartsWith("Token renewed for Sandbox.", renewed.Message, StringComparison.Ordinal);
        Assert.NotEqual(before, (await _gateway.Services.GetRequiredService<BakongTokenManager>().GetCurrentAsync(Ct))!.Value);
        var call = Assert.Single(calls.Calls);
        Assert.Equal((200, 1), (call.HttpStatus, call.Attempt));
        Assert.Equal("", calls.NextPageToken);
    }

    [Fact]
    public async Task Api_calls_come_newest_first_a_page_at_a_time_and_the_pages_join_without_gaps()
    {
        var admin = AsOperator();
        for (var i = 0; i < 5; i++)
        {
            // Five audited refusals at one instant (the test clock does not move).
            await Assert.ThrowsAsync<RpcException>(() => admin.RevokeClientAsync(new RevokeClientRequest { ClientId = "abcdefghijk" + (i + 2) }, cancellationToken: Ct).ResponseAsync);
        }

        await _gateway.Services.GetRequiredService<LiteDbCallAudit>().FlushAsync(Ct);
        var request = new ListApiCallsRequest { Action = "RevokeClient", PageSize = 2 };
        var targets = new List<string>();
        var pages = 0;
        do
        {
            var page = await admin.ListApiCallsAsync(request, cancellationToken: Ct);
            Assert.InRange(page.Calls.Count, 1, 2);
            targets.AddRange(page.Calls.Select(c => c.Target));
            request.PageToken = page.NextPageToken;
            pages++;
        }
        while (request.PageToken.Length > 0);

        Assert.Equal(["abcdefghijk6", "abcdefghijk5", "abcdefghijk4", "abcdefghijk3", "abcdefghijk2"], targets);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task A_bad_window_page_size_page_token_or_client_is_invalid_argument_naming_each_field()
    {
        var admin = AsOperator();
        var now = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(_gateway.Clock.GetUtcNow());

        var window = await Assert.ThrowsAsync<RpcException>(() => admin.ListBakongCallsAsync(
            new ListBakongCallsRequest { StartTime = now, EndTime = now, PageSize = AuditQuery.MaxPageSize + 1, PageToken = "garbage" }, cancellationToken: Ct).ResponseAsync);
        var client = await Assert.ThrowsAsync<RpcException>(() => admin.ListApiCallsAsync(
            new ListApiCallsRequest { ClientId = "NOT A CLIENT", PageSize = -1, Outcome = new string('x', 101) }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(["end_time", "page_size", "page_token"], Fields(window));
        Assert.Equal(["page_size", "client_id", "outcome"], Fields(client));
    }

    [Fact]
    public async Task Rest_reads_the_token_with_get_and_renews_with_a_json_post_only()
    {
        using var http = _gateway.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _gateway.AddClient(IdentityRole.Operator));

        using var status = await http.GetAsync(new Uri("/v1/token", UriKind.Relative), Ct);
        using var plain = await http.PostAsync(new Uri("/v1/token:renew", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "text/plain"), Ct);
        using var json = await http.PostAsync(new Uri("/v1/token:renew", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"), Ct);
        using var audit = await http.GetAsync(new Uri("/v1/audit/api-calls?page_size=1001", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.Contains("\"emailHint\":\"g***@sandbox.local\"", (await status.Content.ReadAsStringAsync(Ct)).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, audit.StatusCode);
        Assert.Contains("page_size", await audit.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private static string Field(RpcException e) => Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field;

    private static string[] Fields(RpcException e)
    {
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        return [.. e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field)];
    }
}
