using Bakong.Payments.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bakong.Gateway.Health;

/// <summary>
/// Healthy while the payment store answers a read and its last write went through. While writes fail (a full disk)
/// it is unhealthy and says why, though reads are still served; it turns healthy by itself once a write goes through.
/// </summary>
internal sealed class PaymentStoreHealthCheck(IPaymentStore store) : IHealthCheck
{
    public const string Name = "payment-store";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.GetAsync("health-probe", cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException e)
        {
            return HealthCheckResult.Unhealthy("The payment store is closed.", e);
        }
        catch (IOException e)
        {
            return HealthCheckResult.Unhealthy("The payment store cannot be read: " + e.Message, e);
        }

        return store is LiteDbPaymentStore { WriteFault: { } fault }
            ? HealthCheckResult.Unhealthy("The payment store cannot write (" + fault + "); reads are served, writes are retried.")
            : HealthCheckResult.Healthy("The payment store is open.");
    }
}
