using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Bakong.Grpc.Payments.V1;
using Bakong.Identity;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Tests.Access;

/// <summary>
/// What the gateway shows beyond the payment API: the sandbox's control API only to this machine, a Sandbox gateway
/// off loopback only when meant, reflection off outside Sandbox unless asked for, and every plain-HTTP payment route
/// (QR images, REST) behind the same key and terminal scoping as gRPC.
/// </summary>
public sealed class ExposureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("192.168.1.50")]
    [InlineData("10.0.0.7")]
    [InlineData("::ffff:192.168.1.50")]
    [InlineData("fe80::1")]
    public async Task The_sandbox_control_api_is_not_found_from_a_peer_off_loopback(string peer)
    {
        await using var gateway = GatewayWithPeers();
        var payment = await gateway.CreateAsync(Requests.Create("remote-pay"));

        using var pay = await ControlFromAsync(gateway, peer, "POST", "/sandbox/control/pay", JsonSerializer.Serialize(new { qr = payment.Khqr }));
        using var garbage = await ControlFromAsync(gateway, peer, "POST", "/sandbox/control/pay", "not json");
        using var list = await ControlFromAsync(gateway, peer, "GET", "/sandbox/control/payments", null);

        Assert.Equal(HttpStatusCode.NotFound, pay.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, garbage.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
        Assert.Empty(gateway.Sandbox.Payments);
        Assert.Equal(3, gateway.Logs.Named("SandboxControlRefused").Count);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task The_sandbox_control_api_answers_a_peer_on_loopback(string peer)
    {
        await using var gateway = GatewayWithPeers();
        var payment = await gateway.CreateAsync(Requests.Create("local-pay"));

        using var pay = await ControlFromAsync(gateway, peer, "POST", "/sandbox/control/pay", JsonSerializer.Serialize(new { qr = payment.Khqr }));

        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        Assert.Single(gateway.Sandbox.Payments);
    }

    [Theory]
    [InlineData("http://0.0.0.0:5081")]
    [InlineData("http://192.168.1.20:5081")]
    public async Task A_sandbox_gateway_on_a_non_loopback_endpoint_refuses_to_start_naming_the_setting(string webUrl)
    {
        await using var gateway = new GatewayFactory();
        gateway.Settings["Kestrel:Endpoints:Web:Url"] = webUrl;

        var e = Assert.ThrowsAny<OptionsValidationException>(() => gateway.Services);

        var failure = Assert.Single(e.Failures);
        Assert.StartsWith("Bakong:Mode is Sandbox (simulated payments) but a Kestrel endpoint is not on loopback", failure, StringComparison.Ordinal);
        Assert.Contains("Sandbox:AllowNonLoopback=true", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sandbox_gateway_on_a_non_loopback_endpoint_starts_when_allowed()
    {
        await using var gateway = new GatewayFactory();
        gateway.Settings["Kestrel:Endpoints:Web:Url"] = "http://0.0.0.0:5081";
        gateway.Settings["Sandbox:AllowNonLoopback"] = "true";
        var operatorKey = gateway.AddClient(ClientRole.Operator);

        var created = await gateway.PaymentsAs(operatorKey).CreatePaymentAsync(Requests.Create("bench"), cancellationToken: Ct);

        Assert.Equal(State.Pending, created.Payment.State);
    }

    [Fact]
    public async Task Reflection_is_off_outside_sandbox_even_for_an_operator()
    {
        await using var gateway = LiveModeTests.Live("Production");
        var operatorKey = gateway.AddClient(ClientRole.Operator);

        var (status, _) = await gateway.ListServicesAsync("Bearer " + operatorKey, Ct);

        Assert.Equal(StatusCode.Unimplemented, status);
    }

    [Fact]
    public async Task Reflection_is_served_outside_sandbox_to_operators_when_grpc_reflection_is_set()
    {
        await using var gateway = LiveModeTests.Live("Production");
        gateway.Settings["Grpc:Reflection"] = "true";
        var operatorKey = gateway.AddClient(ClientRole.Operator);
        var terminalKey = gateway.AddClient(ClientRole.Terminal, "till-1");

        var asOperator = await gateway.ListServicesAsync("Bearer " + operatorKey, Ct);
        var asTerminal = await gateway.ListServicesAsync("Bearer " + terminalKey, Ct);

        Assert.Equal(StatusCode.OK, asOperator.Status);
        Assert.Contains("bakong.payments.v1.PaymentService", asOperator.Services);
        Assert.Equal(StatusCode.PermissionDenied, asTerminal.Status);
    }

    [Fact]
    public async Task Reflection_can_be_turned_off_in_sandbox()
    {
        await using var gateway = new GatewayFactory();
        gateway.Settings["Grpc:Reflection"] = "false";

        var (status, _) = await gateway.ListServicesAsync(null, Ct);

        Assert.Equal(StatusCode.Unimplemented, status);
    }

    [Theory]
    [InlineData("qr.png")]
    [InlineData("qr.svg")]
    [InlineData("qr.svg?style=card&size=400")]
    public async Task A_qr_image_needs_a_key_and_another_terminals_payment_is_not_found(string image)
    {
        await using var gateway = ApiKeys.Gateway();
        var mine = gateway.AddClient(ClientRole.Kiosk, "till-1");
        var theirs = gateway.AddClient(ClientRole.Terminal, "till-9");
        var operatorKey = gateway.AddClient(ClientRole.Operator);
        var payment = (await gateway.PaymentsAs(mine).CreatePaymentAsync(Requests.Create("qr"), cancellationToken: Ct)).Payment;
        using var http = gateway.CreateClient();

        using var anonymous = await GetAsync(http, $"/payments/{payment.PaymentId}/{image}", null);
        using var wrongKey = await GetAsync(http, $"/payments/{payment.PaymentId}/{image}", mine[..^4] + "AAAA");
        using var other = await GetAsync(http, $"/payments/{payment.PaymentId}/{image}", theirs);
        using var missing = await GetAsync(http, $"/payments/Pm-no-such-payment/{image}", theirs);
        using var own = await GetAsync(http, $"/payments/{payment.PaymentId}/{image}", mine);
        using var asOperator = await GetAsync(http, $"/payments/{payment.PaymentId}/{image}", operatorKey);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(
            (await missing.Content.ReadAsStringAsync(Ct)).Replace("Pm-no-such-payment", "ID", StringComparison.Ordinal),
            (await other.Content.ReadAsStringAsync(Ct)).Replace(payment.PaymentId, "ID", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.OK, asOperator.StatusCode);
        Assert.Equal(2, gateway.Logs.Named("Unauthenticated").Count);
    }

    [Fact]
    public async Task Every_rest_route_needs_a_key_and_scopes_to_the_keys_terminals()
    {
        await using var gateway = ApiKeys.Gateway();
        var mine = gateway.AddClient(ClientRole.Terminal, "till-1");
        var theirs = gateway.AddClient(ClientRole.Terminal, "till-9");
        var payment = (await gateway.PaymentsAs(mine).CreatePaymentAsync(Requests.Create("rest"), cancellationToken: Ct)).Payment;
        var id = payment.PaymentId;
        using var http = gateway.CreateClient();
        var create = """{"requestId":"rest-2","terminalId":"till-1","amount":{"currencyCode":"KHR","units":"5000"}}""";

        // Each route of the proto's google.api.http options: without a key, and with another terminal's key.
        var routes = new (string Method, string Path, string? Body, HttpStatusCode ForOtherTerminal)[]
        {
            ("POST", "/v1/payments", create, HttpStatusCode.Forbidden),
            ("GET", $"/v1/payments/{id}", null, HttpStatusCode.NotFound),
            ("GET", $"/v1/payments/{id}:watch", null, HttpStatusCode.NotFound),
            ("POST", $"/v1/payments/{id}:cancel", "{}", HttpStatusCode.NotFound),
            ("GET", "/v1/payments?terminalId=till-1", null, HttpStatusCode.Forbidden),
        };

        foreach (var (method, path, body, forOther) in routes)
        {
            using var anonymous = await SendAsync(http, method, path, body, null);
            using var other = await SendAsync(http, method, path, body, theirs);

            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} without a key: {anonymous.StatusCode}");
            Assert.True(other.StatusCode == forOther, $"{method} {path} with another terminal's key: {other.StatusCode}");
        }

        Assert.Equal(State.Pending, (await gateway.PaymentsAs(mine).GetPaymentAsync(new GetPaymentRequest { PaymentId = id }, cancellationToken: Ct)).Payment.State);
    }

    /// <summary>A gateway whose requests come from the address in the <c>x-test-peer</c> header, as if over the network.</summary>
    private static GatewayFactory GatewayWithPeers() => new()
    {
        ConfigureHost = host => host.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new PeerFromHeader())),
    };

    private static async Task<HttpResponseMessage> ControlFromAsync(GatewayFactory gateway, string peer, string method, string path, string? body)
    {
        using var http = gateway.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add(PeerFromHeader.Header, peer);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request, Ct);
    }

    private static Task<HttpResponseMessage> GetAsync(HttpClient http, string path, string? key) => SendAsync(http, "GET", path, null, key);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string method, string path, string? body, string? key)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
    }
}

/// <summary>Sets the connection's remote address from a request header, before anything else runs.</summary>
internal sealed class PeerFromHeader : IStartupFilter
{
    public const string Header = "x-test-peer";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((http, inner) =>
        {
            if (http.Request.Headers[Header] is { Count: 1 } peer)
            {
                http.Connection.RemoteIpAddress = IPAddress.Parse(peer[0]!);
            }

            return inner(http);
        });
        next(app);
    };
}
