using System.Net;
using Bakong.Grpc.Payments.V1;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using static Grpc.Health.V1.Health;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Tests;

/// <summary>Browsers' way in: gRPC-Web over HTTP/1.1, CORS for kiosk apps on other origins, and the kiosk page itself.</summary>
public sealed class GrpcWebTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Theory]
    [InlineData(GrpcWebMode.GrpcWeb)]
    [InlineData(GrpcWebMode.GrpcWebText)]
    public async Task Payments_and_health_answer_grpc_web_over_http1_including_the_watch_stream(GrpcWebMode mode)
    {
        using var channel = GrpcChannel.ForAddress(_gateway.Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(mode, _gateway.Server.CreateHandler()),
            HttpVersion = HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });
        var payments = new PaymentService.PaymentServiceClient(channel);

        var created = (await payments.CreatePaymentAsync(Requests.Create("web-" + mode), cancellationToken: Ct)).Payment;
        using var watch = payments.WatchPayment(new WatchPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);
        var first = await GatewayFactory.NextAsync(watch);
        var cancelled = (await payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;
        var latest = first;
        while (latest.State == State.Pending)
        {
            latest = await GatewayFactory.NextAsync(watch);
        }

        Assert.Equal(created.PaymentId, first.PaymentId);
        Assert.Equal(State.Cancelled, latest.State);
        Assert.Equal(cancelled.Version, latest.Version);
        var health = await new HealthClient(channel).CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task The_dashboard_s_display_and_admin_services_answer_grpc_web_over_http1()
    {
        using var channel = GrpcChannel.ForAddress(_gateway.Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWeb, _gateway.Server.CreateHandler()),
            HttpVersion = HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });

        var displays = await new Bakong.Grpc.Display.V1.DisplayService.DisplayServiceClient(channel).ListDisplaysAsync(new(), cancellationToken: Ct);
        var exceptions = await new Bakong.Grpc.Admin.V1.AdminService.AdminServiceClient(channel).ListExceptionsAsync(new(), cancellationToken: Ct);

        Assert.Empty(displays.Displays); // none configured; answered, not refused for its content type
        Assert.Empty(exceptions.Exceptions);
    }

    [Fact]
    public async Task An_allowed_origin_may_call_and_read_the_grpc_status_headers()
    {
        await using var gateway = _gateway.WithWebHostBuilder(b => b.UseSetting("Cors:AllowedOrigins:0", "https://kiosk.example"));
        using var http = gateway.CreateClient();

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/bakong.payments.v1.PaymentService/CreatePayment");
        preflight.Headers.Add("Origin", "https://kiosk.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type,x-grpc-web,x-user-agent,authorization");
        using var allowed = await http.SendAsync(preflight, Ct);

        using var call = new HttpRequestMessage(HttpMethod.Post, "/bakong.payments.v1.PaymentService/GetPayment")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]) { Headers = { { "Content-Type", "application/grpc-web+proto" } } },
        };
        call.Headers.Add("Origin", "https://kiosk.example");
        call.Headers.Add("X-Grpc-Web", "1");
        using var answer = await http.SendAsync(call, Ct);

        Assert.Equal("https://kiosk.example", Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("x-grpc-web", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("authorization", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);
        var exposed = string.Join(",", answer.Headers.GetValues("Access-Control-Expose-Headers"));
        Assert.Contains("Grpc-Status", exposed, StringComparison.Ordinal);
        Assert.Contains("Grpc-Message", exposed, StringComparison.Ordinal);
        Assert.Equal("3", Assert.Single(answer.Headers.GetValues("Grpc-Status"))); // INVALID_ARGUMENT: payment_id required
    }

    [Fact]
    public async Task Other_origins_get_no_cors_headers_by_default()
    {
        using var http = _gateway.CreateClient();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/bakong.payments.v1.PaymentService/CreatePayment");
        preflight.Headers.Add("Origin", "https://elsewhere.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        using var response = await http.SendAsync(preflight, Ct);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public void An_origin_with_a_path_fails_at_start_naming_the_key()
    {
        using var gateway = _gateway.WithWebHostBuilder(b => b.UseSetting("Cors:AllowedOrigins:0", "https://kiosk.example/app"));

        var e = Assert.ThrowsAny<OptionsValidationException>(() => gateway.Server);

        Assert.Contains("Cors:AllowedOrigins:0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_kiosk_page_and_its_script_are_served_from_the_gateway_and_revalidate_by_etag()
    {
        using var http = _gateway.CreateClient();

        using var page = await http.GetAsync("/kiosk", Ct);
        using var script = await http.GetAsync("/kiosk/kiosk.js", Ct);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/kiosk/kiosk.js") { Headers = { IfNoneMatch = { script.Headers.ETag! } } };
        using var revalidated = await http.SendAsync(again, Ct);
        using var missing = await http.GetAsync("/kiosk/nothing.js", Ct);

        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<script src=\"/kiosk/kiosk.js\">", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Contains("application/grpc-web", await script.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
