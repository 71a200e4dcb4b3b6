using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Tests;

/// <summary>
/// The gateway with <c>Bakong:Mode</c> Sit or Production: real money, so no demo merchant account. Its Bakong calls stay in the TestServer (<see cref="GatewayFactory"/> routes every HttpClient
/// there), which hosts no sandbox in these modes.
/// </summary>
public sealed class LiveModeTests
{
    private const string ShopAccount = "corner_shop@aclb";

    [Theory]
    [InlineData("Sit")]
    [InlineData("Production")]
    public async Task A_live_gateway_does_not_start_with_the_demo_merchant_account_naming_the_setting(string mode)
    {
        await using var gateway = Live(mode, account: null);

        var e = Assert.ThrowsAny<OptionsValidationException>(() => gateway.Services);

        Assert.Contains(
            $"Merchant:BakongAccountId is the demo account demo_shop@devb: with Bakong:Mode={mode}, set your own receiving Bakong account (name@bank).",
            e.Failures);
    }

    [Fact]
    public async Task A_live_gateway_does_not_start_without_a_merchant_account_naming_the_setting()
    {
        await using var gateway = Live("Production", account: "");

        var e = Assert.ThrowsAny<OptionsValidationException>(() => gateway.Services);

        Assert.Contains("Merchant:BakongAccountId is required", e.Message, StringComparison.Ordinal);
    }

    /// <param name="account"><c>Merchant:BakongAccountId</c>; null keeps appsettings.json's demo account.</param>
    private static GatewayFactory Live(string mode, string? account = ShopAccount)
    {
        var gateway = new GatewayFactory();
        gateway.Settings["Bakong:Mode"] = mode;
        gateway.Settings["Bakong:BaseUrl"] = "http://localhost/bakong/";
        if (account is not null)
        {
            gateway.Settings["Merchant:BakongAccountId"] = account;
        }

        return gateway;
    }
}
