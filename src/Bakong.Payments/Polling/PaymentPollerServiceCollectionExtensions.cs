using Bakong.Payments.Polling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the payment poller.</summary>
public static class PaymentPollerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the payment poller (a hosted service) and <see cref="IPollerSignal"/>, with <c>Polling:*</c> bound from
    /// <paramref name="configuration"/> (the root) and validated at start. Needs the payment store
    /// (<c>AddBakongPayments</c>) and the Bakong client (<c>AddBakongOpenApiClient</c>).
    /// </summary>
    public static IServiceCollection AddPaymentPoller(
        this IServiceCollection services, IConfiguration configuration, Action<PaymentPollerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PaymentPollerOptions>().Bind(configuration.GetSection(PaymentPollerOptions.Section));
        return services.AddPaymentPoller(configure);
    }

    /// <summary>Adds the payment poller with options from <paramref name="configure"/> only (defaults otherwise).</summary>
    public static IServiceCollection AddPaymentPoller(this IServiceCollection services, Action<PaymentPollerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptionsWithValidateOnStart<PaymentPollerOptions, PaymentPollerOptionsValidator>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PollerSignal>();
        services.TryAddSingleton<IPollerSignal>(sp => sp.GetRequiredService<PollerSignal>());
        services.TryAddSingleton<PollerMetrics>();
        services.TryAddSingleton<PaymentPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<PaymentPoller>());
        return services;
    }
}
