using Bakong.Grpc.Payments.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Bakong.Gateway.Tests;

/// <summary>
/// The gateway on Kestrel with a real HTTP/2 connection (the TestServer has none): a bad call must fail alone, never
/// take down the connection and the calls in flight on it. A 24.5 KB payment_id echoed into NOT_FOUND's trailers
/// (message, status details and metadata) went past the client's 64 KB header limit, and the client dropped the
/// connection.
/// </summary>
public sealed class Http2ConnectionTests : GatewayTest
{
    private readonly Uri _grpcUrl = new("http://127.0.0.1:" + FreePort.Next());

    public Http2ConnectionTests()
    {
        Gateway.Settings["Kestrel:Endpoints:Grpc:Url"] = _grpcUrl.ToString();
        Gateway.Settings["Kestrel:Endpoints:Web:Url"] = "http://127.0.0.1:" + FreePort.Next();
        Gateway.UseKestrel();
    }

    public static TheoryData<string> Methods => ["get", "watch", "cancel"];

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task A_30_kb_payment_id_is_invalid_argument_and_a_watch_in_flight_on_the_same_connection_goes_on(string method)
    {
        Gateway.StartServer();
        using var channel = GrpcChannel.ForAddress(_grpcUrl);
        var payments = new PaymentService.PaymentServiceClient(channel);
        var created = (await payments.CreatePaymentAsync(Requests.Create("in-flight"), cancellationToken: Ct)).Payment;
        using var watch = payments.WatchPayment(new WatchPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);
        Assert.Equal(State.Pending, (await GatewayFactory.NextAsync(watch)).State);

        var id = new string('x', 30 * 1024);
        var e = await Assert.ThrowsAsync<RpcException>(() => method switch
        {
            "get" => payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = id }, cancellationToken: Ct).ResponseAsync,
            "cancel" => payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = id }, cancellationToken: Ct).ResponseAsync,
            _ => NextAsync(payments.WatchPayment(new WatchPaymentRequest { PaymentId = id }, cancellationToken: Ct)),
        });
        Assert.True(e.StatusCode == StatusCode.InvalidArgument, e.Status.ToString());

        // The watch opened before the bad call still delivers: the cancel's change reaches it on the same connection.
        await payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);
        var latest = await GatewayFactory.NextAsync(watch);
        while (latest.State == State.Pending)
        {
            latest = await GatewayFactory.NextAsync(watch);
        }

        Assert.Equal(State.Cancelled, latest.State);
    }

    private static async Task NextAsync(AsyncServerStreamingCall<WatchPaymentResponse> call)
    {
        using (call)
        {
            await GatewayFactory.NextAsync(call);
        }
    }
}
