using System.Text;
using Bakong.Gateway.Tests.Access;
using Bakong.Identity;
using Bakong.OpenApi.Tokens;
using Bakong.Grpc.Payments.V1;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Grpc.Health.V1.Health;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Bakong.Gateway.Tests;

/// <summary>
/// The gateway with <c>Bakong:Mode</c> Sit or Production: real money, so no demo merchant account and no payment it
/// could never confirm. Its Bakong calls stay in the TestServer (<see cref="GatewayFactory"/> routes every HttpClient
/// there), which hosts no sandbox in these modes.
/// </summary>
public sealed class LiveModeTests
{
    private const string ShopAccount = "corner_shop@aclb";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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

    [Fact]
    public async Task Create_is_refused_unavailable_bakong_token_missing_while_no_token_is_set()
    {
        await using var gateway = Live("Sit");
        var payments = gateway.PaymentsAs(gateway.AddClient(ClientRole.Operator));

        var e = await Assert.ThrowsAsync<RpcException>(() => payments.CreatePaymentAsync(Requests.Create("no-token"), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(("bakong.payments.v1", "BAKONG_TOKEN_MISSING", "Sit"), (info.Domain, info.Reason, info.Metadata["environment"]));
        Assert.Contains("bakong token", e.Status.Detail, StringComparison.Ordinal);
        Assert.Empty((await payments.ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct)).Payments);
    }

    [Fact]
    public async Task Create_is_refused_unavailable_bakong_token_expired_with_an_expired_token_and_works_once_it_is_renewed()
    {
        await using var gateway = Live("Production");
        var expired = Jwt(GatewayFactory.Start.AddDays(-1));
        gateway.Services.GetRequiredService<BakongTokenManager>().Set(expired);
        var payments = gateway.PaymentsAs(gateway.AddClient(ClientRole.Operator));

        var e = await Assert.ThrowsAsync<RpcException>(() => payments.CreatePaymentAsync(Requests.Create("old-token"), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal("BAKONG_TOKEN_EXPIRED", e.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.DoesNotContain(expired, e.ToString(), StringComparison.Ordinal);
        Assert.All(gateway.Logs.Entries, log => Assert.DoesNotContain(expired, log.Message, StringComparison.Ordinal));

        gateway.Services.GetRequiredService<BakongTokenManager>().Set(Jwt(GatewayFactory.Start.AddDays(60)));
        var created = (await payments.CreatePaymentAsync(Requests.Create("old-token"), cancellationToken: Ct)).Payment;

        Assert.Equal(State.Pending, created.State);
        Assert.Contains(ShopAccount, created.Khqr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_is_not_serving_without_a_usable_token_and_serving_with_one()
    {
        await using var gateway = Live("Sit");
        var health = new HealthClient(gateway.Channel);

        var without = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
        gateway.Services.GetRequiredService<BakongTokenManager>().Set(Jwt(GatewayFactory.Start.AddDays(60)));
        var with = await health.CheckAsync(new HealthCheckRequest { Service = "bakong.payments.v1.PaymentService" }, cancellationToken: Ct);

        Assert.Equal((ServingStatus.NotServing, ServingStatus.Serving), (without.Status, with.Status));
    }

    /// <param name="account"><c>Merchant:BakongAccountId</c>; null keeps appsettings.json's demo account.</param>
    /// <param name="accountAnswer">What Bakong's <c>check_bakong_account</c> answers (<see cref="Network.FakeBakongAccounts"/>).</param>
    internal static GatewayFactory Live(string mode, string? account = ShopAccount, string accountAnswer = Network.FakeBakongAccounts.Exists)
    {
        var gateway = new GatewayFactory { ConfigureHost = b => Network.FakeBakongAccounts.Answer(b, accountAnswer) };
        gateway.Settings["Bakong:Mode"] = mode;
        gateway.Settings["Bakong:BaseUrl"] = "http://localhost/bakong/";
        if (account is not null)
        {
            gateway.Settings["Merchant:BakongAccountId"] = account;
        }

        return gateway;
    }

    /// <summary>A Bakong-shaped token (HS256 JWT) with this expiry; nothing here checks its signature.</summary>
    internal static string Jwt(DateTimeOffset expiresAt)
    {
        static string Part(string json) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
        return Part("""{"alg":"HS256","typ":"JWT"}""") + "." + Part($$"""{"exp":{{expiresAt.ToUnixTimeSeconds()}}}""") + "." + Part("signature");
    }
}
