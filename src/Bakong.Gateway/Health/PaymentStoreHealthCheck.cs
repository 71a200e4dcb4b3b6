using Bakong.Payments.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bakong.Gateway.Health;

/// <summary>Healthy while the payment store answers a read (it is open and not locked by another gateway).</summary>
internal sealed class PaymentStoreHealthCheck(IPaymentStore store) : IHealthCheck
{
    public const string Name = "payment-store";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.GetAsync("health-probe", cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("The payment store is open.");
        }
        catch (ObjectDisposedException e)
        {
            return HealthCheckResult.Unhealthy("The payment store is closed.", e);
        }
        catch (IOException e)
        {
            return HealthCheckResult.Unhealthy("The payment store cannot be read.", e);
        }
    }
}
