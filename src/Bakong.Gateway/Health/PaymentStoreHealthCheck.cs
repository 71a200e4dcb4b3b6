using Bakong.Payments.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bakong.Gateway.Health;

/// <summary>
/// Healthy while the payment store answers a read and its last write went through. While writes fail (a full disk)
/// it is unhealthy and says why, though reads are still served; it turns healthy by itself once a write goes through.
/// On PostgreSQL a read that cannot reach the server (stopped, restarting, unreachable) is unhealthy with the driver's
/// reason; it turns healthy once the pool reconnects, which it does by itself.
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
        catch (Exception e) when (StoreUnreachable.CauseOf(e) is { } error)
        {
            // A disk's error, or PostgreSQL's (its message names the host and port at most, never the connection
            // string): what the operator needs to see why payments are not served.
            return HealthCheckResult.Unhealthy("The payment store cannot be read: " + Describe(error), e);
        }

        return store is LiteDbPaymentStore { WriteFault: { } fault }
            ? HealthCheckResult.Unhealthy("The payment store cannot write (" + fault + "); reads are served, writes are retried.")
            : HealthCheckResult.Healthy("The payment store is open.");
    }

    private static string Describe(Exception error) =>
        error.InnerException is { } cause && cause.Message != error.Message ? error.Message + " (" + cause.Message + ")" : error.Message;
}
