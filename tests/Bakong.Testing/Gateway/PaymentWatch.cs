using Bakong.Grpc.Payments.V1;
using Grpc.Core;

namespace Bakong.Gateway.Tests.Support;

/// <summary>One <c>WatchPayment</c> stream as a POS reads it: every message it has shown, and reads that fail instead of hanging.</summary>
public sealed class PaymentWatch(AsyncServerStreamingCall<WatchPaymentResponse> call) : IDisposable
{
    private readonly List<Payment> _seen = [];

    public IReadOnlyList<Payment> Seen => _seen;

    public IReadOnlyList<long> Versions => [.. _seen.Select(p => p.Version)];

    /// <summary>The next message, or a failure if the stream ends or nothing comes within <see cref="GatewayFactory.Timeout"/>.</summary>
    public async Task<Payment> NextAsync()
    {
        var next = await GatewayFactory.NextAsync(call).ConfigureAwait(false);
        _seen.Add(next);
        return next;
    }

    /// <summary>Reads until a message matches and returns it.</summary>
    public async Task<Payment> UntilAsync(Func<Payment, bool> match)
    {
        while (true)
        {
            var next = await NextAsync().ConfigureAwait(false);
            if (match(next))
            {
                return next;
            }
        }
    }

    /// <summary>Reads until the payment leaves PENDING and returns that message.</summary>
    public Task<Payment> SettledAsync() => UntilAsync(p => p.State != Payment.Types.State.Pending);

    /// <summary>Asserts the stream completes now, with status OK, without another message.</summary>
    public async Task EndsAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.False(await call.ResponseStream.MoveNext(ct).WaitAsync(GatewayFactory.Timeout, ct).ConfigureAwait(false), "the stream should have completed");
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    public void Dispose() => call.Dispose();
}
