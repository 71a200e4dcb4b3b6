using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bakong.Sandbox.Tests;

public sealed class OtherEndpointTests
{
    [Fact]
    public async Task The_deeplink_for_a_qr_is_a_deterministic_short_link()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var qr = sandbox.DynamicQr(1m);
        var sourceInfo = new { appIconUrl = "https://shop.kh/icon.png", appName = "Shop", appDeepLinkCallback = "https://shop.kh/back" };

        var first = await sandbox.BakongAsync("generate_deeplink_by_qr", new { qr = qr.Qr, sourceInfo });
        var second = await sandbox.BakongAsync("generate_deeplink_by_qr", new { qr = qr.Qr });
        var partial = await sandbox.BakongAsync("generate_deeplink_by_qr", new { qr = qr.Qr, sourceInfo = new { appName = "Shop" } });

        Assert.Equal("Getting deep link successfully", first.Json.GetProperty("responseMessage").GetString());
        var link = first.Data.GetProperty("shortLink").GetString()!;
        Assert.Matches("^https://bakongsandbox\\.page\\.link/[A-Za-z0-9]{17}$", link);
        Assert.Equal(link, second.Data.GetProperty("shortLink").GetString());
        Assert.Equal((HttpStatusCode.BadRequest, 5), (partial.Status, partial.ErrorCode));
    }

    [Fact]
    public async Task Check_bakong_account_finds_qr_receivers_and_registered_accounts_and_rejects_invalid_ids()
    {
        await using var sandbox = await SandboxHarness.StartAsync(o => o.KnownAccounts.Add("configured@devb"));
        await sandbox.ControlOkAsync("control/qrs", new { qr = sandbox.DynamicQr(1m).Qr });
        await sandbox.ControlOkAsync("control/accounts", new { accountId = "added@devb" });

        var receiver = await sandbox.BakongAsync("check_bakong_account", new { accountId = SandboxHarness.MerchantAccount });
        var configured = await sandbox.BakongAsync("check_bakong_account", new { accountId = "configured@devb" });
        var added = await sandbox.BakongAsync("check_bakong_account", new { accountId = "added@devb" });
        var unknown = await sandbox.BakongAsync("check_bakong_account", new { accountId = "nobody@devb" });
        var invalid = await sandbox.BakongAsync("check_bakong_account", new { accountId = "not an account" });

        Assert.Equal("""{"responseCode":0,"responseMessage":"Account ID exists","errorCode":null,"data":null}""", receiver.Body);
        Assert.Equal((0, 0), (configured.ResponseCode, added.ResponseCode));
        Assert.Equal("""{"responseCode":1,"responseMessage":"Account ID not found","errorCode":11,"data":null}""", unknown.Body);
        Assert.Equal(12, invalid.ErrorCode);
    }

    [Fact]
    public async Task A_body_that_is_not_json_answers_error_5()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();

        var answer = await sandbox.PostRawAsync("v1/check_transaction_by_md5", "{md5:", token);

        Assert.Equal((HttpStatusCode.BadRequest, 5), (answer.Status, answer.ErrorCode));
    }

    [Fact]
    public async Task Mapped_under_a_prefix_the_api_and_the_control_api_live_beside_each_other()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddBakongSandbox();
        await using var app = builder.Build();
        app.MapBakongSandbox("/sandbox");
        await app.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var check = await http.PostAsync("/sandbox/v1/check_transaction_by_md5", new StringContent("{}"), TestContext.Current.CancellationToken);
        using var faults = await http.GetAsync("/sandbox/control/faults", TestContext.Current.CancellationToken);
        using var unprefixed = await http.GetAsync("/control/faults", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, check.StatusCode);
        Assert.Equal(HttpStatusCode.OK, faults.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unprefixed.StatusCode);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
