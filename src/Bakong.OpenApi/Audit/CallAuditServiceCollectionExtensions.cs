using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Bakong call audit.</summary>
public static class CallAuditServiceCollectionExtensions
{
    /// <summary>
    /// Adds the audits (<see cref="CallAudit"/>, also as <see cref="IBakongCallAudit"/> and <see cref="IApiCallAudit"/>):
    /// <see cref="LiteDbCallAudit"/> unless another store was added before, and the hosted writer that persists and
    /// prunes it, with <see cref="BakongCallAuditOptions"/> validated at start. Records reach the database only
    /// while the host runs; stopping the host persists what is queued.
    /// </summary>
    public static IServiceCollection AddBakongCallAudit(this IServiceCollection services, Action<BakongCallAuditOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        var options = services.AddOptionsWithValidateOnStart<BakongCallAuditOptions, BakongCallAuditOptionsValidator>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return services.AddBakongCallAuditCore();
    }

    /// <summary>As <see cref="AddBakongCallAudit(IServiceCollection, Action{BakongCallAuditOptions}?)"/>, bound to a configuration section.</summary>
    public static IServiceCollection AddBakongCallAudit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptionsWithValidateOnStart<BakongCallAuditOptions, BakongCallAuditOptionsValidator>().Bind(configuration);
        return services.AddBakongCallAuditCore();
    }

    private static IServiceCollection AddBakongCallAuditCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);

        // A store registered before (the PostgreSQL one: AddPostgreSqlCallAudit) replaces the LiteDB file, which is
        // then neither opened nor part of a backup.
        if (!services.Any(d => d.ServiceType == typeof(CallAudit)))
        {
            services.TryAddSingleton<LiteDbCallAudit>();
            services.AddSingleton<CallAudit>(sp => sp.GetRequiredService<LiteDbCallAudit>());
            services.AddSingleton<IStoreSnapshot>(sp => sp.GetRequiredService<LiteDbCallAudit>());
        }

        services.TryAddSingleton<IBakongCallAudit>(sp => sp.GetRequiredService<CallAudit>());
        services.TryAddSingleton<IApiCallAudit>(sp => sp.GetRequiredService<CallAudit>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CallAuditWriter>());
        return services;
    }
}
