using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Bakong token lifecycle.</summary>
public static class TokenServiceCollectionExtensions
{
    /// <summary>
    /// Adds the token store, <see cref="BakongTokenManager"/> (also as <see cref="IBakongTokenSource"/>),
    /// <see cref="TokenOnboarding"/>, <see cref="StoredSecrets"/> (in the same store), the automatic renewal service, the <c>bakong-token</c> health check and the
    /// <c>bakong.token.days_left</c> gauge, with <see cref="BakongTokenOptions"/> validated at start. Needs an
    /// <see cref="Bakong.OpenApi.Client.IBakongRegistrationApi"/>; uses the registered <see cref="TimeProvider"/> or
    /// the system clock.
    /// </summary>
    public static IServiceCollection AddBakongTokens(this IServiceCollection services, Action<BakongTokenOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        var options = services.AddOptionsWithValidateOnStart<BakongTokenOptions, BakongTokenOptionsValidator>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return services.AddBakongTokensCore();
    }

    /// <summary>As <see cref="AddBakongTokens(IServiceCollection, Action{BakongTokenOptions}?)"/>, bound to a configuration section.</summary>
    public static IServiceCollection AddBakongTokens(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptionsWithValidateOnStart<BakongTokenOptions, BakongTokenOptionsValidator>().Bind(configuration);
        return services.AddBakongTokensCore();
    }

    private static IServiceCollection AddBakongTokensCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();

        // The LiteDB file of the data directory, unless the host added another store first (the gateway adds
        // PostgreSQL's with Storage:Provider PostgreSql): then no LiteDB file is opened, not even for a backup.
        if (!services.Any(d => d.ServiceType == typeof(ITokenStore)))
        {
            services.TryAddSingleton<TokenStore>();
            services.AddSingleton<ITokenStore>(sp => sp.GetRequiredService<TokenStore>());
            services.AddSingleton<Bakong.OpenApi.Storage.IStoreSnapshot>(sp => sp.GetRequiredService<TokenStore>());
        }

        services.TryAddSingleton(sp => new BakongTokenManager(
            sp.GetRequiredService<ITokenStore>(),
            sp.GetRequiredService<Bakong.OpenApi.Client.IBakongRegistrationApi>(),
            sp.GetRequiredService<IOptions<BakongTokenOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BakongTokenManager>>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<IBakongTokenSource>(sp => sp.GetRequiredService<BakongTokenManager>());
        services.TryAddSingleton<TokenOnboarding>();
        services.TryAddSingleton(sp => new StoredSecrets(sp.GetRequiredService<ITokenStore>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TokenRenewalService>());
        services.AddHealthChecks().AddCheck<TokenHealthCheck>(TokenHealthCheck.Name, tags: ["bakong"]);
        return services;
    }
}
