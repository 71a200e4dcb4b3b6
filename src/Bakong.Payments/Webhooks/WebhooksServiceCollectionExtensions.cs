using Bakong.Payments;
using Bakong.Payments.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the webhook dispatcher.</summary>
public static class WebhooksServiceCollectionExtensions
{
    /// <summary>
    /// Adds the webhook dispatcher (a hosted service), <see cref="IWebhookSignal"/>, the change sink that wakes the
    /// dispatcher after every saved outcome, and the <c>Bakong.Webhooks</c> HTTP client, with <c>Webhooks:*</c> bound from <paramref name="configuration"/> (the root) and validated at
    /// start. Needs an <c>IPaymentStore</c> (<c>AddBakongPayments</c>).
    /// </summary>
    public static IServiceCollection AddWebhookDispatcher(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptionsWithValidateOnStart<WebhookOptions, WebhookOptionsValidator>()
            .Bind(configuration.GetSection(WebhookOptions.Section));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WebhookSignal>();
        services.TryAddSingleton<IWebhookSignal>(sp => sp.GetRequiredService<WebhookSignal>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPaymentChangeSink, WebhookWakeup>());
        services.AddHttpClient(WebhookSender.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // A redirect is not a delivery: the receiver must answer 2xx at the configured URL.
                AllowAutoRedirect = false,
                UseCookies = false,
                ConnectTimeout = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout,
            })

            // The factory's loggers write the full URL, query included; the dispatcher logs a redacted one itself.
            .RemoveAllLoggers();
        services.TryAddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }
}
