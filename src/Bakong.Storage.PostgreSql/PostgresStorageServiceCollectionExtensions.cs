using Bakong.Identity.Storage;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Tokens;
using Bakong.Payments;
using Bakong.Payments.Configuration;
using Bakong.Payments.Polling;
using Bakong.Payments.Storage;
using Bakong.Payments.Watching;
using Bakong.Storage.PostgreSql;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL payment store (<c>Storage:Provider</c> <c>PostgreSql</c>).</summary>
public static class PostgresStorageServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IPaymentStore"/> on the database of <c>Storage:ConnectionString</c>, opened (and migrated) when it
    /// is first needed, which is at start; call it with <c>AddBakongPayments</c>, which then adds no LiteDB store. The
    /// connection string is checked at start, naming the key and never showing the value.
    /// </summary>
    public static IServiceCollection AddPostgreSqlPaymentStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IValidateOptions<PaymentStorageOptions>, ConnectionStringValidator>();
        services.AddPostgreSqlDatabase();
        services.AddSingleton(sp => new PostgresPaymentStore(
            sp.GetRequiredService<PostgresDatabase>(),
            sp.GetRequiredService<ILogger<PostgresPaymentStore>>(),
            sp.GetRequiredService<IOptions<PaymentStorageOptions>>().Value.DueLease,
            sp.GetService<IOptions<PaymentPollerOptions>>()?.Value.BatchSize ?? PaymentPollerOptions.MaxBatchSize));

        // Other replicas' changes reach this one's watch streams (when it has a watch hub: AddPaymentWatchHub), its
        // displays (AddDisplayBridge), its token manager (when the token is on this database: AddPostgreSqlTokenStore)
        // and its API clients' copy in memory (AddPostgreSqlClientStore).
        services.AddHostedService(sp => new PostgresChangeListener(
            sp.GetRequiredService<PostgresDatabase>(),
            sp.GetRequiredService<PostgresPaymentStore>(),
            sp.GetService<PaymentWatchHub>(),
            sp.GetService<ITokenStore>() as PostgresTokenStore,
            sp.GetService<PostgresClientCache>(),
            sp.GetServices<IReplicaChangeSink>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILogger<PostgresChangeListener>>()));
        services.AddSingleton<IPaymentStore>(sp => sp.GetRequiredService<PostgresPaymentStore>());
        services.AddSingleton<IReceiptStore>(sp => sp.GetRequiredService<PostgresPaymentStore>());
        return services;
    }

    /// <summary>
    /// Adds the Bakong token store on the same database (table <c>bakong_tokens</c>), encrypted under the key file of
    /// <c>Bakong:Tokens</c> as the LiteDB one is; call it before <c>AddBakongTokens</c>, which then opens no LiteDB file.
    /// </summary>
    public static IServiceCollection AddPostgreSqlTokenStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddPostgreSqlDatabase();
        services.AddSingleton<ITokenStore>(sp => new PostgresTokenStore(
            sp.GetRequiredService<PostgresDatabase>(),
            sp.GetRequiredService<IOptions<BakongTokenOptions>>().Value.ResolvedKeyPath));
        return services;
    }

    /// <summary>
    /// Adds the API client store on the same database (table <c>api_clients</c>) as <see cref="IClientStore"/>; the gateway
    /// adds it instead of the LiteDB <c>bakong-clients.db</c> with <c>Auth:Mode ApiKeys</c>. Keys are checked against a
    /// copy of the table in memory, kept current by the change listener of <see cref="AddPostgreSqlPaymentStore"/>.
    /// </summary>
    public static IServiceCollection AddPostgreSqlClientStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddPostgreSqlDatabase();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PostgresClientCache(
            new PostgresClientStore(sp.GetRequiredService<PostgresDatabase>(), sp.GetRequiredService<TimeProvider>()),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PostgresClientCache>>()));
        services.AddSingleton<IClientStore>(sp => sp.GetRequiredService<PostgresClientCache>());
        return services;
    }

    /// <summary>
    /// Adds both audits on the same database (tables <c>bakong_calls</c> and <c>api_calls</c>) as the
    /// <see cref="CallAudit"/>; call it before <c>AddBakongCallAudit</c>, which then opens no <c>bakong-audit.db</c> and
    /// adds the writer that persists and prunes these tables with <c>Bakong:Audit</c>'s retention.
    /// </summary>
    public static IServiceCollection AddPostgreSqlCallAudit(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddPostgreSqlDatabase();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CallAudit>(sp => new PostgresCallAudit(
            sp.GetRequiredService<PostgresDatabase>(),
            sp.GetRequiredService<IOptions<BakongCallAuditOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PostgresCallAudit>>()));
        return services;
    }

    /// <summary>The one pool and schema every PostgreSQL store of the gateway shares, opened (and migrated) when first needed.</summary>
    private static void AddPostgreSqlDatabase(this IServiceCollection services) =>
        services.TryAddSingleton(sp => PostgresDatabase.Open(
            sp.GetRequiredService<IOptions<PaymentStorageOptions>>().Value.ConnectionString!,
            sp.GetRequiredService<ILogger<PostgresDatabase>>()));

    /// <summary>Where the payments are, for the start-up log: database, host and port, never the password.</summary>
    public static string DescribePostgreSql(string connectionString) => PostgresDatabase.Describe(connectionString);

    private sealed class ConnectionStringValidator : IValidateOptions<PaymentStorageOptions>
    {
        public ValidateOptionsResult Validate(string? name, PaymentStorageOptions options)
        {
            if (options.Provider != StorageProvider.PostgreSql || string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                return ValidateOptionsResult.Skip;
            }

            try
            {
                _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                return ValidateOptionsResult.Success;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                // Npgsql's message may quote the value, and the value may be the password: only the key is named.
                return ValidateOptionsResult.Fail(
                    "Storage:ConnectionString is not a connection string Npgsql accepts (keywords such as Host, Port, Database, Username, Password; its value is not shown: it may hold a password).");
            }
        }
    }
}
