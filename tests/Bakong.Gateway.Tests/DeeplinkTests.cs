using System.Net.Http.Json;
using Bakong.Grpc.Payments.V1;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Tests;

/// <summary><c>CreatePaymentRequest.deeplink</c> over gRPC, against the in-process sandbox's <c>generate_deeplink_by_qr</c>.</summary>
public sealed class DeeplinkTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PaymentService.PaymentServiceClient Client => _gateway.Payments;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    private static DeeplinkOptions Kiosk => new()
    {
        AppName = "Demo Kiosk",
        AppIconUrl = "https://shop.example/icon.png",
        CallbackUrl = "https://shop.example/kiosk",
    };

    [Fact]
    public async Task A_payment_asked_with_deeplink_options_comes_with_the_short_link_and_one_without_has_none()
    {
        var request = Requests.Create("with-link");
        request.Deeplink = Kiosk;

        var withLink = await Client.CreatePaymentAsync(request, cancellationToken: Ct);
        var plain = await Client.CreatePaymentAsync(Requests.Create("no-link"), cancellationToken: Ct);
        var bare = Requests.Create("bare-link");
        bare.Deeplink = new DeeplinkOptions();
        var withoutSource = await Client.CreatePaymentAsync(bare, cancellationToken: Ct);

        Assert.Matches("^https://bakongsandbox\\.page\\.link/[A-Za-z0-9]{17}$", withLink.Deeplink.ShortLink);
        Assert.Equal("", withLink.Deeplink.FailureReason);
        Assert.Equal(State.Pending, withLink.Payment.State);
        Assert.Null(plain.Deeplink);
        Assert.StartsWith("https://bakongsandbox.page.link/", withoutSource.Deeplink.ShortLink, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_bakong_cannot_make_a_deeplink_the_payment_is_created_anyway_with_the_reason()
    {
        using (var http = _gateway.CreateClient())
        {
            using var faults = await http.PutAsJsonAsync("/sandbox/control/faults", new { deeplinkProviderError = true }, Ct);
            Assert.True(faults.IsSuccessStatusCode);
        }

        var request = Requests.Create("link-fails");
        request.Deeplink = Kiosk;

        var response = await Client.CreatePaymentAsync(request, cancellationToken: Ct);

        Assert.Equal(State.Pending, response.Payment.State);
        Assert.Equal("", response.Deeplink.ShortLink);
        Assert.Equal("Bakong error 4: Error occurred on requesting deeplink from provider.", response.Deeplink.FailureReason);
        var stored = await Client.GetPaymentAsync(new GetPaymentRequest { PaymentId = response.Payment.PaymentId }, cancellationToken: Ct);
        Assert.Equal(response.Payment.Khqr, stored.Payment.Khqr);
    }

    [Fact]
    public async Task Partial_deeplink_options_are_invalid_argument_naming_the_missing_fields_and_create_nothing()
    {
        var request = Requests.Create("half-link");
        request.Deeplink = new DeeplinkOptions { AppName = "Demo Kiosk", AppIconUrl = "not a url" };

        var e = await Assert.ThrowsAsync<RpcException>(() => Client.CreatePaymentAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var fields = e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToList();
        Assert.Equal(["deeplink.app_icon_url", "deeplink.callback_url"], fields);
        Assert.Empty((await Client.ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct)).Payments);
    }

    [Fact]
    public async Task A_retry_of_a_paid_payment_asking_for_a_deeplink_gets_the_payment_and_a_reason_instead_of_a_link()
    {
        var paid = await _gateway.CreatePaidAsync("paid-link");
        var retry = Requests.Create("paid-link");
        retry.Deeplink = Kiosk;

        var response = await Client.CreatePaymentAsync(retry, cancellationToken: Ct);

        Assert.Equal((paid.PaymentId, State.Paid), (response.Payment.PaymentId, response.Payment.State));
        Assert.Equal("", response.Deeplink.ShortLink);
        Assert.Contains("not pending", response.Deeplink.FailureReason, StringComparison.Ordinal);
    }
}
