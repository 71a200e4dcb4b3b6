using Bakong.Storage.PostgreSql;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Bakong.Cli.Clients;

/// <summary>
/// The gateway's own storage settings, read from the environment under the gateway's names (<c>Storage__Provider</c>,
/// <c>Storage__ConnectionString</c>): with <c>PostgreSql</c> its clients are in the database's <c>api_clients</c>
/// table, which <c>bakong clients</c> then opens, gateway running or not (PostgreSQL takes every replica and this
/// command at once; the LiteDB file takes one process). That is how the first operator key of such a gateway is made.
/// The connection string is never shown: it may hold a password; messages name the database, host and port.
/// </summary>
internal static class GatewayStorage
{
    public const string ProviderVariable = "Storage__Provider";
    public const string ConnectionStringVariable = "Storage__ConnectionString";

    /// <summary>
    /// The PostgreSQL connection string when the environment says <c>PostgreSql</c>; null for the LiteDB default; null
    /// with <paramref name="error"/> when the settings are wrong (the gateway would not start on them either).
    /// </summary>
    public static string? PostgreSqlConnectionString(out string? error)
    {
        error = null;
        var provider = CliVariables.Get(ProviderVariable)?.Trim();
        if (string.IsNullOrEmpty(provider) || provider.Equals("LiteDb", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!provider.Equals("PostgreSql", StringComparison.OrdinalIgnoreCase))
        {
            error = $"{ProviderVariable} must be LiteDb or PostgreSql, not '{(provider.Length <= 40 ? provider : provider[..40] + "…")}'.";
            return null;
        }

        var connectionString = CliVariables.Get(ConnectionStringVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            error = $"{ProviderVariable} is PostgreSql but {ConnectionStringVariable} is not set: give the gateway's PostgreSQL connection string.";
            return null;
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return connectionString;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // Npgsql's message may quote the value, and the value may be the password: only the variable is named.
            error = $"{ConnectionStringVariable} is not a connection string Npgsql accepts (keywords such as Host, Port, Database, Username, Password; its value is not shown: it may hold a password).";
            return null;
        }
    }

    /// <summary>The client store of the database, its schema first brought up to date as a starting gateway does (the same migrations, under the same advisory lock).</summary>
    /// <exception cref="NpgsqlException">PostgreSQL cannot be reached or refused.</exception>
    /// <exception cref="InvalidOperationException">A newer gateway migrated the database.</exception>
    public static StoreClientDirectory Open(string connectionString, TimeProvider timeProvider)
    {
        var database = PostgresDatabase.Open(connectionString, NullLogger.Instance);
        return new StoreClientDirectory(new PostgresClientStore(database, timeProvider), Describe(connectionString), database);
    }

    /// <summary>Where the clients are, for messages: the table and the database, never the password.</summary>
    public static string Describe(string connectionString) => "the api_clients table of " + PostgresDatabase.Describe(connectionString);
}
