using Bakong.OpenApi.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

#pragma warning disable IDE0130 // Extension methods for IServiceCollection live in its namespace, as Microsoft.Extensions does.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

public static class BakongOpenApiServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IBakongClient"/> and <see cref="IBakongRegistrationApi"/> as typed HttpClients, with
    /// options bound from <paramref name="configuration"/> (usually the <c>Bakong:OpenApi</c> section) and validated
    /// at start. The host registers <see cref="IBakongTokenSource"/> and
    /// <see cref="Bakong.OpenApi.Audit.IBakongCallAudit"/>.
    /// </summary>
    public static IServiceCollection AddBakongOpenApiClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BakongOpenApiOptions>().Bind(configuration);
        return services.AddBakongOpenApiClientCore();
    }

    /// <summary>As <see cref="AddBakongOpenApiClient(IServiceCollection, IConfiguration)"/>, configured in code.</summary>
    public static IServiceCollection AddBakongOpenApiClient(this IServiceCollection services, Action<BakongOpenApiOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<BakongOpenApiOptions>().Configure(configure);
        return services.AddBakongOpenApiClientCore();
    }

    private static IServiceCollection AddBakongOpenApiClientCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<BakongOpenApiOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BakongOpenApiOptions>, BakongOpenApiOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BakongResilience>();
        services.TryAddSingleton<Md5ListFallback>();
        services.TryAddSingleton(sp => new BakongCallTelemetry(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));

        // No HttpClientFactory logging: at Trace its header events carry the raw Authorization value in their
        // structured state (RedactLoggedHeaders only redacts the rendered message). Every attempt is logged by the
        // client's own events and the audit instead.
        services.AddHttpClient<IBakongClient, BakongClient>(ConfigureHttpClient).RemoveAllLoggers();
        services.AddHttpClient<IBakongRegistrationApi, BakongRegistrationClient>(ConfigureHttpClient).RemoveAllLoggers();
        return services;
    }

    private static void ConfigureHttpClient(IServiceProvider services, HttpClient client)
    {
        client.BaseAddress = services.GetRequiredService<IOptions<BakongOpenApiOptions>>().Value.ResolveBaseAddress();

        // Timeouts are the resilience pipeline's, driven by the injected TimeProvider.
        client.Timeout = Timeout.InfiniteTimeSpan;
    }
}
