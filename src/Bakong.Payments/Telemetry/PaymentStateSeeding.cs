using Bakong.Payments.Storage;
using Microsoft.Extensions.Hosting;

namespace Bakong.Payments.Telemetry;

/// <summary>
/// Seeds the <c>bakong.payments.current</c> gauge from the store once, at start: payments persist across a restart,
/// counters do not. It seeds in <see cref="StartingAsync"/>, which the host runs for every lifecycle service before it
/// starts any hosted service (the poller, the webhook dispatcher, the server): the count is taken before anything can
/// save a change, so no change is both in the count and applied on top of it, and none is missed, whatever the order
/// the services were registered in.
/// </summary>
internal sealed class PaymentStateSeeding(IPaymentStore store, PaymentMetrics metrics) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!metrics.IsSeeded)
        {
            metrics.Seed(await store.CountByStateAsync(cancellationToken).ConfigureAwait(false));
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
