using System.Net;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Tests.Network;

/// <summary>
/// What a live gateway refuses about the network at start (each naming the setting, before anything is served), and
/// which Host names every gateway answers (DNS rebinding).
/// </summary>
public sealed class NetworkStartupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Sit", "http://0.0.0.0:5081")]
    [InlineData("Production", "http://192.168.1.20:5081")]
    public async Task A_live_gateway_refuses_a_plaintext_endpoint_off_loopback_naming_network_allow_plaintext(string mode, string url)
    {
        await using var gateway = LiveModeTests.Live(mode);
        gateway.Settings["Kestrel:Endpoints:Web:Url"] = url;
        gateway.Settings["AllowedHosts"] = "pos-gateway.shop.lan";

        var e = Assert.ThrowsAny<OptionsValidationException>(() => gateway.Services);

        var failure = Assert.Single(e.Failures);
        Assert.StartsWith($"Kestrel:Endpoints:Web:Url is '{url}': in Bakong:Mode {mode} an endpoint off loopback must use https", failure, StringComparison.Ordinal);
        Assert.Contains("Network:AllowPlaintext=true", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_live_gateway_serves_plaintext_off_loopback_when_allowed_explicitly_and_says_so_at_start()
    {
        await using var gateway = LiveModeTests.Live("Sit");
        gateway.Settings["Kestrel:Endpoints:Web:Url"] = "http://192.168.1.20:5081";
        gateway.Settings["Network:AllowPlaintext"] = "true";

        using var http = gateway.CreateClient();
        using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = Assert.Single(gateway.Logs.Named("PlaintextOffLoopback"));
        Assert.Contains("Kestrel:Endpoints:Web:Url=http://192.168.1.20:5081; Network:AllowPlaintext is set", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_live_gateway_on_every_address_needs_allowed_hosts()
    {
        await using var gateway = LiveModeTests.Live("Production");
        gateway.Settings["Kestrel:Endpoints:Grpc:Url"] = "https://0.0.0.0:5080";
        gateway.Settings["Kestrel:Endpoints:Web:Url"] = "https://0.0.0.0:5081";

        var e = Assert.ThrowsAny<OptionsValidationException>(() => gateway.Services);

        Assert.StartsWith("AllowedHosts must list the names clients reach the gateway by", Assert.Single(e.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Sit")]
    [InlineData("Production")]
    public async Task A_live_gateway_refuses_a_plaintext_bakong_base_url_off_loopback(string mode)
    {
        await using var gateway = LiveModeTests.Live(mode);
        gateway.Settings["Bakong:BaseUrl"] = "http://bakong-relay.example/";

        var e = Assert.ThrowsAny<OptionsValidationException>(() => gateway.Services);

        Assert.Contains(
            $"Bakong:BaseUrl must be https in Bakong:Mode {mode} (got 'http://bakong-relay.example/'): the Bakong token would cross the network in clear (http is accepted on loopback only).",
            e.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_live_gateway_does_not_start_when_bakong_says_the_merchant_account_does_not_exist()
    {
        await using var gateway = LiveModeTests.Live("Production", accountAnswer: FakeBakongAccounts.NotFound);

        var e = Assert.ThrowsAny<OptionsValidationException>(() => gateway.Services);

        Assert.Equal(
            "Merchant:BakongAccountId corner_shop@aclb does not exist at Bakong Production (check_bakong_account): set the shop's own receiving Bakong account (name@bank).",
            Assert.Single(e.Failures));
    }

    [Fact]
    public async Task A_live_gateway_starts_with_a_warning_when_bakong_cannot_be_asked_about_the_merchant_account()
    {
        await using var gateway = LiveModeTests.Live("Production", accountAnswer: FakeBakongAccounts.GeoBlocked);

        using var http = gateway.CreateClient();
        using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = Assert.Single(gateway.Logs.Named("MerchantAccountNotChecked"));
        Assert.True(line.Message.Contains("corner_shop@aclb exists (GeoBlocked)", StringComparison.Ordinal), line.Message);
        Assert.Empty(gateway.Logs.Named("MerchantAccountChecked"));
    }

    [Fact]
    public async Task A_live_gateway_logs_that_bakong_confirmed_the_merchant_account()
    {
        await using var gateway = LiveModeTests.Live("Sit");

        _ = gateway.Services;

        Assert.Single(gateway.Logs.Named("MerchantAccountChecked"));
    }

    [Theory]
    [InlineData("localhost", HttpStatusCode.OK)]
    [InlineData("127.0.0.1:5081", HttpStatusCode.OK)]
    [InlineData("[::1]:5081", HttpStatusCode.OK)]
    [InlineData("attacker.example", HttpStatusCode.BadRequest)]
    [InlineData("attacker.example:5081", HttpStatusCode.BadRequest)]
    public async Task A_sandbox_on_loopback_answers_loopback_host_names_only(string host, HttpStatusCode expected)
    {
        await using var gateway = new GatewayFactory();
        using var http = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/payments");
        request.Headers.Host = host;

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task A_gateway_answers_its_endpoints_host_names_and_allowed_hosts_replaces_the_derived_list()
    {
        await using var derived = LiveModeTests.Live("Sit");
        derived.Settings["Kestrel:Endpoints:Web:Url"] = "https://pos-gateway.shop.lan:5081";
        await using var configured = new GatewayFactory();
        configured.Settings["AllowedHosts"] = "kiosk.shop.lan";

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(derived, "pos-gateway.shop.lan:5081"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(configured, "kiosk.shop.lan"));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(configured, "localhost"));
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayFactory gateway, string host)
    {
        using var http = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Host = host;
        using var response = await http.SendAsync(request, Ct);
        return response.StatusCode;
    }
}
