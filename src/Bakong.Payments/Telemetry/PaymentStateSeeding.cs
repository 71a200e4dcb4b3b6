using Bakong.Payments.Storage;
using Microsoft.Extensions.Hosting;

namespace Bakong.Payments.Telemetry;

/// <summary>
/// Seeds the <c>bakong.payments.current</c> gauge from the store once, at start: payments persist across a restart,
/// counters do not. Registered with the payment domain, so it is the first hosted service (they start in registration
/// order, and the server starts after them): the count is taken before the poller or a gRPC call can save a change, so
/// no change is both in the count and applied on top of it, and none is missed.
/// </summary>
internal sealed class PaymentStateSeeding(IPaymentStore store, PaymentMetrics metrics) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!metrics.IsSeeded)
        {
            metrics.Seed(await store.CountByStateAsync(cancellationToken).ConfigureAwait(false));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
