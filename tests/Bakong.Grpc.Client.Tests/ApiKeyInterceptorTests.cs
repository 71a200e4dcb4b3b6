using Bakong.Grpc.Payments.V1;
using Grpc.Core.Interceptors;

namespace Bakong.Grpc.Client.Tests;

public sealed class ApiKeyInterceptorTests
{
    private const string Key = "bk_abcdefghijkl_secretsecretsecret";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_call_unary_and_streaming_carries_the_key_as_a_bearer_authorization()
    {
        var gateway = new ScriptedInvoker();
        var client = new PaymentService.PaymentServiceClient(gateway.Intercept(new ApiKeyInterceptor(Key)));
        gateway.Next().SetResult(new GetPaymentResponse());

        await client.GetPaymentAsync(new GetPaymentRequest { PaymentId = "p-1" }, cancellationToken: Ct);
        using var watch = client.WatchPayment(new WatchPaymentRequest { PaymentId = "p-1" }, cancellationToken: Ct);

        for (var i = 0; i < 2; i++)
        {
            var call = await gateway.Calls.Reader.ReadAsync(Ct);
            var header = Assert.Single(call.Headers, h => h.Key == "authorization");
            Assert.Equal("Bearer " + Key, header.Value);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("bk_abc\r\nx-evil: 1")]
    public void A_key_that_cannot_be_a_header_is_refused_without_quoting_it(string key)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new ApiKeyInterceptor(key));

        Assert.DoesNotContain("evil", e.Message, StringComparison.Ordinal);
    }
}
