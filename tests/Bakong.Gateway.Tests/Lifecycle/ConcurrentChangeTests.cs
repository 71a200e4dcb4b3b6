using Bakong.Gateway.Tests.Support;
using Bakong.Payments.Storage;
using Bakong.Grpc.Payments.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>
/// A cancel that loses the race to save on every attempt of the write path (another writer saved the payment each time
/// in between): ABORTED with <c>CONCURRENT_CHANGE</c>, which a client may retry, not INTERNAL; nothing is saved.
/// </summary>
public sealed class ConcurrentChangeTests : IAsyncLifetime
{
    private readonly AlwaysConflicting.Switch _conflicts = new();
    private readonly GatewayFactory _gateway;

    public ConcurrentChangeTests() => _gateway = new GatewayFactory
    {
        ConfigureHost = builder => builder.ConfigureTestServices(services => services.AddSingleton<IPaymentStore>(
            sp => new AlwaysConflicting(sp.GetRequiredService<LiteDbPaymentStore>(), _conflicts))),
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_cancel_that_conflicts_on_every_attempt_is_aborted_with_concurrent_change_and_can_be_retried()
    {
        var created = await _gateway.CreateAsync(Requests.Create("keeps-changing"));
        var cancel = new CancelPaymentRequest { PaymentId = created.PaymentId };
        _conflicts.On = true;

        var e = await Assert.ThrowsAsync<RpcException>(() => _gateway.Payments.CancelPaymentAsync(cancel, cancellationToken: Ct).ResponseAsync);

        Assert.True(e.StatusCode == StatusCode.Aborted, e.Status.ToString());
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(("bakong.payments.v1", "CONCURRENT_CHANGE"), (info.Domain, info.Reason));
        Assert.Equal(created.PaymentId, Assert.Single(info.Metadata).Value);
        Assert.Equal(State.Pending, (await _gateway.Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment.State);

        // Once the other writer is done, the same call goes through.
        _conflicts.On = false;
        Assert.Equal(State.Cancelled, (await _gateway.Payments.CancelPaymentAsync(cancel, cancellationToken: Ct)).Payment.State);
    }

    /// <summary>The gateway's store, answering every save with a conflict while switched on (as if saved in between each time).</summary>
    private sealed class AlwaysConflicting(IPaymentStore inner, AlwaysConflicting.Switch conflicts) : DelegatingPaymentStore(inner)
    {
        public override Task<SaveResult> SaveAsync(Payments.Payment payment, CancellationToken cancellationToken) =>
            conflicts.On ? Task.FromResult(SaveResult.Conflict) : base.SaveAsync(payment, cancellationToken);

        public sealed class Switch
        {
            private volatile bool _on;

            public bool On
            {
                get => _on;
                set => _on = value;
            }
        }
    }
}
