using System.Net;
using Bakong.OpenApi.Client;

namespace Bakong.OpenApi.Tests.Client;

public sealed class OtherEndpointTests
{
    private const string Qr = "00020101021229190015gg_hh_1980@amkb52045999530384054031685802KH5905Gg+H h6010Phnom+Penh62100806#hello630498B8";

    [Fact]
    public async Task Deeplink_posts_qr_and_source_info_without_a_token_and_returns_the_short_link()
    {
        var handler = new StubHandler(_ => StubHandler.Json("""
            { "data": { "shortLink": "https://bakongsit.page.link/dGZAr1McBs1UaNmH9" },
              "errorCode": null, "responseCode": 0, "responseMessage": "Getting deep link successfully" }
            """));
        using var harness = new ClientHarness(handler);

        var result = await harness.Client.GenerateDeeplinkAsync(
            Qr,
            new DeeplinkSourceInfo(new Uri("https://bakong.nbc.org.kh/images/logo.svg"), "Bakong", new Uri("https://bakong.nbc.org.kh/")),
            TestContext.Current.CancellationToken);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("/v1/generate_deeplink_by_qr", request.Path);
        Assert.Null(request.Authorization);
        Assert.Equal(
            $$$"""{"qr":"{{{Qr}}}","sourceInfo":{"appIconUrl":"https://bakong.nbc.org.kh/images/logo.svg","appName":"Bakong","appDeepLinkCallback":"https://bakong.nbc.org.kh/"}}""",
            request.Body);
        Assert.Equal(new Uri("https://bakongsit.page.link/dGZAr1McBs1UaNmH9"), result.Value);
        Assert.Equal(32, Assert.Single(harness.Audit.Records).Subject!.Length);
    }

    [Fact]
    public async Task Deeplink_without_source_info_omits_it_and_maps_provider_error_4()
    {
        var handler = new StubHandler(_ => StubHandler.Json("""{"responseCode":1,"responseMessage":"Error occurred on requesting deeplink from provider.","errorCode":4,"data":null}"""));
        using var harness = new ClientHarness(handler);

        var result = await harness.Client.GenerateDeeplinkAsync(Qr, null, TestContext.Current.CancellationToken);

        Assert.Equal($$"""{"qr":"{{Qr}}"}""", Assert.Single(handler.Requests).Body);
        Assert.Equal(4, result.ErrorCode);
    }

    [Theory]
    [InlineData("""{ "responseCode": 0, "responseMessage": "Account ID exists", "errorCode": null, "data": null }""", BakongAccountState.Exists)]
    [InlineData("""{ "responseCode": 1, "responseMessage": "Account ID not found", "errorCode": 11, "data": null }""", BakongAccountState.NotFound)]
    [InlineData("""{ "responseCode": 1, "responseMessage": "Account ID is invalid", "errorCode": 12, "data": null }""", BakongAccountState.Invalid)]
    public async Task Account_check_posts_the_account_id_and_maps_exists_not_found_and_invalid(string body, BakongAccountState expected)
    {
        var handler = new StubHandler(_ => StubHandler.Json(body));
        using var harness = new ClientHarness(handler);

        var result = await harness.Client.CheckBakongAccountAsync("user@bank", TestContext.Current.CancellationToken);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("/v1/check_bakong_account", request.Path);
        Assert.Equal("""{"accountId":"user@bank"}""", request.Body);
        Assert.Equal($"Bearer {ClientHarness.TokenValue}", request.Authorization);
        Assert.Equal(expected, result.Value?.State);
        Assert.Equal("user@bank", Assert.Single(harness.Audit.Records).Subject);
    }

    [Fact]
    public async Task Account_check_reads_the_newer_status_fields_when_present()
    {
        var handler = new StubHandler(_ => StubHandler.Json("""
            {"data":{"kycStatus":"FULL_KYC","frozen":false,"canReceive":true,"accountStatus":"ACTIVATED"},"responseCode":0,"responseMessage":"Account ID exists","errorCode":null}
            """));
        using var harness = new ClientHarness(handler);

        var result = await harness.Client.CheckBakongAccountAsync("user@bank", TestContext.Current.CancellationToken);

        Assert.Equal(new BakongAccountCheck(BakongAccountState.Exists, "Account ID exists", "ACTIVATED", true, false, "FULL_KYC"), result.Value);
    }

    [Fact]
    public async Task Account_check_is_sent_without_a_token_when_none_is_configured()
    {
        var handler = new StubHandler(_ => StubHandler.Json("""{ "responseCode": 0, "responseMessage": "Account ID exists", "errorCode": null, "data": null }"""));
        using var harness = new ClientHarness(handler, tokens: new FakeTokenSource(null, null));

        var result = await harness.Client.CheckBakongAccountAsync("user@bank", TestContext.Current.CancellationToken);

        Assert.Null(Assert.Single(handler.Requests).Authorization);
        Assert.Equal(BakongAccountState.Exists, result.Value?.State);
    }

    [Fact]
    public async Task Request_token_posts_email_organization_and_project_without_a_token()
    {
        var handler = new StubHandler(_ => StubHandler.Json("""{ "data": null, "errorCode": null, "responseCode": 0, "responseMessage": "Email has been sent" }"""));
        using var harness = new ClientHarness(handler);

        var result = await harness.Registration.RequestTokenAsync("me@shop.kh", "Shop", "POS", TestContext.Current.CancellationToken);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("/v1/request_token", request.Path);
        Assert.Null(request.Authorization);
        Assert.Equal("""{"email":"me@shop.kh","organization":"Shop","project":"POS"}""", request.Body);
        Assert.True(result.IsSuccess);
        Assert.Equal("Email has been sent", result.Message);
    }

    [Fact]
    public async Task Request_token_for_a_registered_email_is_error_8()
    {
        var handler = new StubHandler(_ => StubHandler.Json("""{ "data": null, "errorCode": 8, "responseCode": 1, "responseMessage": "Email has been registered already." }"""));
        using var harness = new ClientHarness(handler);

        var result = await harness.Registration.RequestTokenAsync("me@shop.kh", "Shop", "POS", TestContext.Current.CancellationToken);

        Assert.Equal(8, result.ErrorCode);
    }

    [Fact]
    public async Task Verify_exchanges_the_code_for_the_token_and_keeps_the_code_out_of_the_audit()
    {
        const string Token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjE2MjUxMTE1NDgsImlhdCI6MTYxNzA3NjM0OCwiZGF0YSI6eyJpZCI6ImQ0MDczMWQzZGM3YjRlMSJ9fQ.aPZFsTYT4oh2T5XAGcwobiDEJJF1wqqEoLkIDvq-hsM";
        var handler = new StubHandler(_ => StubHandler.Json($$"""
            { "data": { "token": "{{Token}}" }, "errorCode": null, "responseCode": 0, "responseMessage": "Token has been issued" }
            """));
        using var harness = new ClientHarness(handler);

        var result = await harness.Registration.VerifyAsync("ABCDEFGHIJ0123456789", TestContext.Current.CancellationToken);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("/v1/verify", request.Path);
        Assert.Null(request.Authorization);
        Assert.Equal("""{"code":"ABCDEFGHIJ0123456789"}""", request.Body);
        Assert.Equal(Token, result.Value);
        var record = Assert.Single(harness.Audit.Records);
        Assert.DoesNotContain("ABCDEFGHIJ0123456789", record.ToString());
        Assert.DoesNotContain(Token, record.ToString());
        Assert.All(harness.RegistrationLogger.Collector.GetSnapshot(), l => Assert.DoesNotContain(Token, l.Message));
    }

    [Fact]
    public async Task Renew_token_returns_the_new_token_and_unregistered_email_is_error_10()
    {
        var calls = 0;
        var handler = new StubHandler(_ => ++calls == 1
            ? StubHandler.Json("""{ "responseCode": 0, "responseMessage": "Token has been issued", "errorCode": null, "data": { "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.new.sig" } }""")
            : StubHandler.Json("""{ "responseCode": 1, "responseMessage": "Not registered yet", "errorCode": 10, "data": null }"""));
        using var harness = new ClientHarness(handler);
        var ct = TestContext.Current.CancellationToken;

        var renewed = await harness.Registration.RenewTokenAsync("me@shop.kh", ct);
        var unknown = await harness.Registration.RenewTokenAsync("who@shop.kh", ct);

        Assert.Equal("""{"email":"me@shop.kh"}""", handler.Requests.First().Body);
        Assert.Equal("/v1/renew_token", handler.Requests.First().Path);
        Assert.Null(handler.Requests.First().Authorization);
        Assert.Equal("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.new.sig", renewed.Value);
        Assert.Equal(10, unknown.ErrorCode);
    }

    [Fact]
    public async Task Registration_calls_are_not_retried_on_server_errors()
    {
        var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.BadGateway));
        using var harness = new ClientHarness(handler);

        var result = await harness.Registration.RenewTokenAsync("me@shop.kh", TestContext.Current.CancellationToken);

        Assert.Equal(BakongFaultKind.ServerError, result.Fault?.Kind);
        Assert.Single(handler.Requests);
    }
}
