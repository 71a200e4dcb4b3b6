using Bakong.Grpc.Payments.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Grpc.Client.Tests;

public sealed class CreatePaymentRetryTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    private readonly ScriptedInvoker _gateway = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PaymentService.PaymentServiceClient Client => new(_gateway);

    private CreatePaymentRetryOptions Options => new() { Time = _time, FirstDelay = TimeSpan.FromMilliseconds(250) };

    private static CreatePaymentRequest Request => new()
    {
        RequestId = "INV-1-try-1",
        TerminalId = "POS-01",
        Amount = new Money { CurrencyCode = "KHR", Units = 4000 },
    };

    [Fact]
    public async Task A_call_whose_outcome_is_unknown_is_sent_again_unchanged_after_a_growing_wait_until_it_succeeds()
    {
        var first = _gateway.Next();
        var second = _gateway.Next();
        var third = _gateway.Next();

        var created = Client.CreatePaymentWithRetryAsync(Request, Options, Ct);
        var call1 = await NextCallAsync();
        first.SetException(new RpcException(new Status(StatusCode.Unavailable, "connection refused")));
        _time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(_gateway.Calls.Reader.TryRead(out _), "sent again before the first wait was over");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var call2 = await NextCallAsync();
        second.SetException(new RpcException(new Status(StatusCode.DeadlineExceeded, "deadline")));
        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(_gateway.Calls.Reader.TryRead(out _), "the second wait is not twice the first");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var call3 = await NextCallAsync();
        third.SetResult(new CreatePaymentResponse { Payment = new Payment { PaymentId = "p-1", RequestId = Request.RequestId } });

        Assert.Equal("p-1", (await created.WaitAsync(s_wait, Ct)).Payment.PaymentId);
        Assert.All([call1, call2, call3], call => Assert.Equal(Request, call.Request));
        Assert.Equal(_time.GetUtcNow().UtcDateTime + Options.AttemptTimeout, call3.Deadline);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.AlreadyExists)]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.Unauthenticated)]
    public async Task An_error_that_is_an_answer_is_thrown_at_once(StatusCode code)
    {
        _gateway.Next().SetException(new RpcException(new Status(code, "no")));

        var e = await Assert.ThrowsAsync<RpcException>(() => Client.CreatePaymentWithRetryAsync(Request, Options, Ct));

        Assert.Equal(code, e.StatusCode);
        Assert.Equal(1, _gateway.Calls.Reader.Count);
    }

    [Fact]
    public async Task After_the_last_attempt_the_last_error_is_thrown()
    {
        var first = _gateway.Next();
        var second = _gateway.Next();

        var created = Client.CreatePaymentWithRetryAsync(Request, Options with { MaxAttempts = 2 }, Ct);
        await NextCallAsync();
        first.SetException(new RpcException(new Status(StatusCode.Unavailable, "first")));
        _time.Advance(Options.FirstDelay);
        await NextCallAsync();
        second.SetException(new RpcException(new Status(StatusCode.Unavailable, "second")));

        var e = await Assert.ThrowsAsync<RpcException>(() => created.WaitAsync(s_wait, Ct));
        Assert.Equal("second", e.Status.Detail);
    }

    [Fact]
    public async Task A_request_without_a_request_id_is_refused_before_any_call()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(
            () => Client.CreatePaymentWithRetryAsync(new CreatePaymentRequest { TerminalId = "POS-01" }, Options, Ct));

        Assert.Contains("request_id", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, _gateway.Calls.Reader.Count);
    }

    private async Task<(IMessage Request, Metadata Headers, DateTime? Deadline)> NextCallAsync() =>
        await _gateway.Calls.Reader.ReadAsync(Ct).AsTask().WaitAsync(s_wait, Ct);
}
