using Bakong.Khqr;
using Bakong.Payments;
using Bakong.Payments.Configuration;
using Bakong.Payments.Cancellation;
using Bakong.Payments.Creation;
using Bakong.Payments.Deeplinks;
using Bakong.Payments.Exceptions;
using Bakong.Payments.Listing;
using Bakong.Payments.Reading;
using Bakong.Payments.Reporting;
using Bakong.Payments.Storage;
using Bakong.Payments.Telemetry;
using Bakong.Payments.Verification;
using Bakong.Payments.Writing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the payment domain.</summary>
public static class PaymentsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the payment store (<see cref="IPaymentStore"/>, LiteDB at <c>Storage:Path</c> unless <c>Storage:Provider</c>
    /// names another, which the host adds), the one write path and the
    /// use cases (<see cref="PaymentCreation"/>, <see cref="PaymentReader"/>, <see cref="PaymentListing"/>,
    /// <see cref="PaymentCancellation"/>, <see cref="PaymentDeeplinks"/>, <see cref="SettlementReport"/>, <see cref="ReceiptVerification"/>, <see cref="ExceptionListing"/>, <see cref="PaymentResolver"/>; watching is <c>AddPaymentWatchHub</c>'s),
    /// with <c>Storage:*</c>, the merchant profiles (<c>Merchants</c>, or the single <c>Merchant</c> section), <c>Payments:*</c> and <c>Reports:*</c> bound from <paramref name="configuration"/> (the
    /// root) and validated at start. <see cref="PaymentDeeplinks"/>, <see cref="SettlementReport"/>, <see cref="ReceiptVerification"/> and <see cref="PaymentResolver"/> need the Bakong client (<c>AddBakongOpenApiClient</c>).
    /// </summary>
    public static IServiceCollection AddBakongPayments(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptionsWithValidateOnStart<PaymentStorageOptions, PaymentStorageOptionsValidator>()
            .Bind(configuration.GetSection(PaymentStorageOptions.Section));
        services.AddOptionsWithValidateOnStart<MerchantProfiles, MerchantProfilesValidator>()
            .Configure(profiles => MerchantProfiles.Load(profiles, configuration));
        services.AddOptionsWithValidateOnStart<PaymentOptions, PaymentOptionsValidator>()
            .Bind(configuration.GetSection(PaymentOptions.Section));
        services.AddOptionsWithValidateOnStart<ReportOptions, ReportOptionsValidator>()
            .Bind(configuration.GetSection(ReportOptions.Section));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new KhqrGenerator(sp.GetRequiredService<TimeProvider>()));
        if (PaymentStorageOptions.ProviderOf(configuration) == StorageProvider.LiteDb)
        {
            services.TryAddSingleton(sp => new LiteDbPaymentStore(
                sp.GetRequiredService<IOptions<PaymentStorageOptions>>().Value.Path,
                sp.GetRequiredService<ILogger<LiteDbPaymentStore>>()));
            services.TryAddSingleton<IPaymentStore>(sp => sp.GetRequiredService<LiteDbPaymentStore>());
            services.TryAddSingleton<IReceiptStore>(sp => sp.GetRequiredService<LiteDbPaymentStore>());
            services.AddSingleton<Bakong.OpenApi.Storage.IStoreSnapshot>(sp => sp.GetRequiredService<LiteDbPaymentStore>());
        }

        // Another provider's store is the host's to add (AddPostgreSqlPaymentStore): this project knows no other engine.

        // One write path: every change and every creation is saved, retried and published by the writer. The use cases
        // take it through internal constructors (it is not part of the public surface), hence the factories.
        services.TryAddSingleton<PaymentWriter>();
        services.TryAddSingleton(sp => new PaymentCreation(
            sp.GetRequiredService<PaymentWriter>(),
            sp.GetRequiredService<KhqrGenerator>(),
            sp.GetRequiredService<IOptions<MerchantProfiles>>(),
            sp.GetRequiredService<IOptions<PaymentOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PaymentCreation>>()));
        services.TryAddSingleton(sp => new PaymentCancellation(
            sp.GetRequiredService<PaymentWriter>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PaymentCancellation>>()));
        services.TryAddSingleton<PaymentReader>();
        services.TryAddSingleton<PaymentListing>();
        services.TryAddSingleton<PaymentDeeplinks>();
        services.TryAddSingleton<SettlementReport>();
        services.TryAddSingleton<ReceiptVerification>();
        services.TryAddSingleton<ExceptionListing>();
        services.TryAddSingleton(sp => new PaymentResolver(
            sp.GetRequiredService<IPaymentStore>(),
            sp.GetRequiredService<PaymentWriter>(),
            sp.GetRequiredService<Bakong.OpenApi.Client.IBakongClient>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PaymentResolver>>()));

        // Telemetry: the payment counters follow every saved change; the per-state gauge is seeded from the store in
        // IHostedLifecycleService.StartingAsync, before any hosted service that saves starts.
        services.AddMetrics();
        services.TryAddSingleton<PaymentMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPaymentChangeSink, PaymentMetrics>(sp => sp.GetRequiredService<PaymentMetrics>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PaymentStateSeeding>());
        return services;
    }
}
