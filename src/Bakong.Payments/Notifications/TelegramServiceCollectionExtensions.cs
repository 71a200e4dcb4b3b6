using Bakong.Payments;
using Bakong.Payments.Configuration;
using Bakong.Payments.Notifications;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Telegram announcements.</summary>
public static class TelegramServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Telegram sink (a hosted service that does nothing unless <c>Notifications:Telegram:Enabled</c>), its
    /// operator side (<see cref="TelegramAnnouncements"/>; the bot token lives in the token store, so
    /// <c>AddBakongTokens</c> must be registered too), its wake-up on every settlement, its delivery record (<c>notifications.db</c> beside <c>Storage:Path</c>) and its HTTP
    /// client, without the factory's request loggers (they would log the URL, and the URL carries the bot token).
    /// </summary>
    public static IServiceCollection AddTelegramNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptionsWithValidateOnStart<TelegramOptions, TelegramOptionsValidator>()
            .Bind(configuration.GetSection(TelegramOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TelegramSignal>();
        services.AddSingleton<IPaymentChangeSink>(sp => sp.GetRequiredService<TelegramSignal>());
        services.TryAddSingleton(sp => new TelegramDeliveries(Path.Combine(
            Path.GetDirectoryName(Path.GetFullPath(sp.GetRequiredService<IOptions<PaymentStorageOptions>>().Value.Path))!, "notifications.db")));
        services.AddHttpClient(TelegramSender.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
            .RemoveAllLoggers();
        services.TryAddSingleton<TelegramNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<TelegramNotifier>());
        services.TryAddSingleton(sp => new TelegramAnnouncements(
            sp.GetRequiredService<TelegramNotifier>(),
            sp.GetRequiredService<TelegramSignal>(),
            sp.GetRequiredService<Bakong.OpenApi.Tokens.StoredSecrets>(),
            sp.GetRequiredService<IOptions<TelegramOptions>>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<TelegramAnnouncements>>()));
        return services;
    }
}
