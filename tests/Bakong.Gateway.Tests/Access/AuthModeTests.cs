using Bakong.Grpc.Payments.V1;
using Bakong.Identity.Storage;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Tests.Access;

/// <summary>
/// <c>Auth:Mode</c>: None by default only for a sandbox on loopback (README's walk-through needs no key, and the log
/// says so); ApiKeys by default anywhere else; Sit and Production refuse None.
/// </summary>
public sealed class AuthModeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sandbox_on_loopback_needs_no_key_and_says_so_at_start()
    {
        await using var gateway = new GatewayFactory();

        var created = await gateway.CreateAsync(Requests.Create("walk-through"));

        Assert.Equal(State.Pending, created.State);
        var line = Assert.Single(gateway.Logs.Named("AuthNone"));
        Assert.Contains("the default in Sandbox mode with every endpoint on loopback", line.Message, StringComparison.Ordinal);
        Assert.Null(gateway.Services.GetService<IClientStore>());
    }

    [Theory]
    [InlineData("http://0.0.0.0:5081")]
    [InlineData("http://*:5081")]
    [InlineData("http://192.168.1.20:5081")]
    [InlineData("http://shop-gateway:5081")]
    public async Task A_sandbox_on_a_non_loopback_endpoint_needs_keys_by_default(string webUrl)
    {
        await using var gateway = new GatewayFactory();
        gateway.Settings["Kestrel:Endpoints:Web:Url"] = webUrl;
        gateway.Settings["Sandbox:AllowNonLoopback"] = "true";

        var e = await Assert.ThrowsAsync<RpcException>(() => gateway.Payments.CreatePaymentAsync(Requests.Create("lan"), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Single(gateway.Logs.Named("NoClients"));
        Assert.Empty(gateway.Logs.Named("AuthNone"));
    }

    [Fact]
    public async Task None_set_explicitly_on_a_non_loopback_sandbox_is_obeyed_and_logged()
    {
        await using var gateway = new GatewayFactory();
        gateway.Settings["Kestrel:Endpoints:Web:Url"] = "http://0.0.0.0:5081";
        gateway.Settings["Sandbox:AllowNonLoopback"] = "true";
        gateway.Settings["Auth:Mode"] = "none";

        await gateway.CreateAsync(Requests.Create("explicit"));

        Assert.Contains("set explicitly", Assert.Single(gateway.Logs.Named("AuthNone")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Sit")]
    [InlineData("Production")]
    public async Task A_live_gateway_refuses_to_start_with_auth_none_naming_the_setting(string mode)
    {
        await using var gateway = LiveModeTests.Live(mode);
        gateway.Settings["Auth:Mode"] = "None";

        var e = Assert.ThrowsAny<OptionsValidationException>(() => gateway.Services);

        Assert.StartsWith($"Auth:Mode=None is refused in Bakong:Mode {mode}", Assert.Single(e.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_mode_is_refused_at_start()
    {
        await using var gateway = new GatewayFactory();
        gateway.Settings["Auth:Mode"] = "Tokens";

        var e = Assert.ThrowsAny<OptionsValidationException>(() => gateway.Services);

        Assert.Equal("Auth:Mode must be ApiKeys or None (got 'Tokens').", Assert.Single(e.Failures));
    }

    [Fact]
    public async Task A_live_gateway_needs_keys_without_any_setting()
    {
        await using var gateway = LiveModeTests.Live("Production");

        var e = await Assert.ThrowsAsync<RpcException>(() => gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }
}
