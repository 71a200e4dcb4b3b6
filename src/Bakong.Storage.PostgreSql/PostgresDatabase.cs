using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bakong.Storage.PostgreSql;

/// <summary>
/// One PostgreSQL database of the gateway: the connection pool (<see cref="NpgsqlDataSource"/>) and its schema, created
/// and upgraded at open by the embedded migrations (<c>Migrations/NNNN_name.sql</c>), each applied once, in its own
/// transaction with its row in <c>schema_migrations</c>, under a session advisory lock: two gateways started at once
/// on one empty database do not both create it, the second waits and finds it done.
/// </summary>
/// <remarks>
/// Compiled into <c>bakong</c> too, with <see cref="PostgresClientStore"/>, <see cref="PostgresLog"/> and the
/// migrations (its <c>clients</c> commands on a PostgreSQL gateway): the command cannot reference this project, which
/// carries the payments. Keep these files free of the payment types.
/// </remarks>
internal sealed class PostgresDatabase : IDisposable
{
    /// <summary>The advisory lock key of the migrations ("Bakong" in ASCII): one number every gateway agrees on.</summary>
    internal const long MigrationLockKey = 0x42616B6F6E67;

    private PostgresDatabase(NpgsqlDataSource dataSource, NpgsqlDataSource listenerDataSource, int schemaVersion)
    {
        DataSource = dataSource;
        ListenerDataSource = listenerDataSource;
        SchemaVersion = schemaVersion;
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>
    /// The change listener's connections (<c>PostgresChangeListener</c>): unpooled, so a LISTEN never goes back
    /// to the pool with a statement's connection, and with TCP keepalives, so a dead server is noticed while idle.
    /// </summary>
    public NpgsqlDataSource ListenerDataSource { get; }

    /// <summary>The newest migration applied.</summary>
    public int SchemaVersion { get; }

    /// <summary>The migrations this build carries, in order.</summary>
    internal static IReadOnlyList<Migration> Migrations { get; } = LoadMigrations();

    /// <summary>
    /// Opens the pool and brings the schema up to date. Statements are prepared on the server once a connection has
    /// used them twice (<c>Max Auto Prepare</c>, unless the connection string sets it): every query is a fixed text
    /// with parameters, so the prepared set stays small.
    /// </summary>
    /// <exception cref="InvalidOperationException">The database was migrated by a newer gateway.</exception>
    /// <exception cref="NpgsqlException">PostgreSQL cannot be reached or refused a migration.</exception>
    public static PostgresDatabase Open(string connectionString, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(logger);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        var listener = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false };
        if (listener.KeepAlive == 0)
        {
            listener.KeepAlive = 15;
        }

        var dataSource = NpgsqlDataSource.Create(builder);
        var listenerDataSource = NpgsqlDataSource.Create(listener);
        try
        {
            var version = Migrate(dataSource, logger);
            PostgresLog.StoreOpened(logger, builder.Database ?? "(default)", builder.Host ?? "(default)", version);
            return new PostgresDatabase(dataSource, listenerDataSource, version);
        }
        catch
        {
            dataSource.Dispose();
            listenerDataSource.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Where the database is, for logs and messages: database, host and port, never the password. Also compiled into
    /// <c>bakong</c> (its <c>clients</c> commands on PostgreSQL), which names the database with it.
    /// </summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSQL database '{builder.Database}' on {builder.Host}:{builder.Port}";
    }

    public void Dispose()
    {
        DataSource.Dispose();
        ListenerDataSource.Dispose();
    }

    /// <summary>
    /// Applies the migrations not yet applied, under the advisory lock, and returns the newest version; with
    /// <paramref name="through"/> only those up to it (a test's database as an older gateway left it).
    /// </summary>
    internal static int Migrate(NpgsqlDataSource dataSource, ILogger logger, int? through = null)
    {
        using var connection = dataSource.OpenConnection();
        Execute(connection, "SELECT pg_advisory_lock(@key)", MigrationLockKey);
        try
        {
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """);
            var applied = new HashSet<int>();
            using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
            using (var reader = read.ExecuteReader())
            {
                while (reader.Read())
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            var newest = Migrations[^1].Version;
            if (applied.Count > 0 && applied.Max() > newest)
            {
                throw new InvalidOperationException(
                    $"The PostgreSQL database has schema version {applied.Max()}, newer than this gateway knows ({newest}): run the newer gateway, or restore a backup taken before the upgrade.");
            }

            foreach (var migration in Migrations)
            {
                if (applied.Contains(migration.Version) || migration.Version > through)
                {
                    continue;
                }

                var started = Stopwatch.GetTimestamp();
                using var transaction = connection.BeginTransaction();
                Execute(connection, migration.Sql);
                using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", connection, transaction))
                {
                    record.Parameters.AddWithValue("version", migration.Version);
                    record.Parameters.AddWithValue("name", migration.Name);
                    record.ExecuteNonQuery();
                }

                transaction.Commit();
                var elapsed = Stopwatch.GetElapsedTime(started);
                PostgresLog.MigrationApplied(logger, migration.Version, migration.Name, elapsed.TotalMilliseconds);
            }

            return through is { } last ? Math.Min(last, newest) : newest;
        }
        finally
        {
            Execute(connection, "SELECT pg_advisory_unlock(@key)", MigrationLockKey);
        }
    }

    private static void Execute(NpgsqlConnection connection, string sql, long? key = null)
    {
        using var command = new NpgsqlCommand(sql, connection);
        if (key is { } k)
        {
            command.Parameters.AddWithValue("key", k);
        }

        command.ExecuteNonQuery();
    }

    private static List<Migration> LoadMigrations()
    {
        var assembly = typeof(PostgresDatabase).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith("migrations/", StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            // migrations/0001_payments.sql: version 1, name "payments".
            var file = resource["migrations/".Length..^".sql".Length];
            var separator = file.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(file[..separator], NumberStyles.None, CultureInfo.InvariantCulture);
            migrations.Add(new Migration(version, file[(separator + 1)..], Read(assembly, resource)));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        return migrations;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>One embedded migration.</summary>
    internal sealed record Migration(int Version, string Name, string Sql);
}
