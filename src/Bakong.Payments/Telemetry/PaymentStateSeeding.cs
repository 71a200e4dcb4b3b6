using Bakong.Payments.Storage;
using Microsoft.Extensions.Hosting;

namespace Bakong.Payments.Telemetry;

/// <summary>
/// Seeds the <c>bakong.payments.current</c> gauge from the store once, at start: payments persist across a restart,
/// counters do not. Registered by <c>AddBakongPayments</c>, which the gateway calls before it adds the poller; hosted
/// services start in registration order and the server after them (the gateway's TelemetryTests check the order). So
/// the count is taken before the poller or a gRPC/REST call can save a change: no change is both in the count and
/// applied on top of it, and none is missed.
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
