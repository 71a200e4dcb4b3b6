using Bakong.Payments;
using Bakong.Payments.Storage;
using Bakong.Payments.Watching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the payment watch hub.</summary>
public static class PaymentWatchServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="PaymentWatchHub"/> as a singleton, the metrics it reports to, the change sink that wakes its
    /// streams after every saved change, the <c>WatchTerminal</c> and <c>WatchPayments</c> feed (<see cref="TerminalWatchHub"/>,
    /// also told other replicas' changes on a shared database), and the <c>WatchPayment</c> use case (<see cref="PaymentWatching"/>). It needs an <see cref="IPaymentStore"/> (<c>AddBakongPayments</c>) and the
    /// host's <see cref="IHostApplicationLifetime"/>.
    /// </summary>
    public static IServiceCollection AddPaymentWatchHub(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        services.TryAddSingleton(sp => new PaymentWatchHub(
            sp.GetRequiredService<IPaymentStore>(),
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetService<ILogger<PaymentWatchHub>>()));
        services.TryAddSingleton(sp => new TerminalWatchHub(
            sp.GetRequiredService<IPaymentStore>(),
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetService<ILogger<TerminalWatchHub>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IReplicaChangeSink, TerminalWatchHub>(sp => sp.GetRequiredService<TerminalWatchHub>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPaymentChangeSink, PaymentWatchWakeup>());
        services.TryAddSingleton<PaymentWatching>();
        return services;
    }
}
