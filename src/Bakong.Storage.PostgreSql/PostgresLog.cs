using Microsoft.Extensions.Logging;

namespace Bakong.Storage.PostgreSql;

/// <summary>The PostgreSQL store's log events (28xx). Never the connection string: it holds a password.</summary>
internal static partial class PostgresLog
{
    [LoggerMessage(EventId = 2800, EventName = "PostgresStoreOpened", Level = LogLevel.Information,
        Message = "Payment store: PostgreSQL database {Database} on {Host}, schema version {SchemaVersion}")]
    public static partial void StoreOpened(ILogger logger, string database, string host, int schemaVersion);

    [LoggerMessage(EventId = 2801, EventName = "PostgresMigrationApplied", Level = LogLevel.Information,
        Message = "PostgreSQL schema migration {Version} ({Name}) applied in {ElapsedMs:F0} ms")]
    public static partial void MigrationApplied(ILogger logger, int version, string name, double elapsedMs);

    [LoggerMessage(EventId = 2802, EventName = "PostgresSaveConflict", Level = LogLevel.Debug,
        Message = "Payment {PaymentId} was changed by someone else (read at version {ReadVersion}, stored {StoredVersion}): read again")]
    public static partial void SaveConflict(ILogger logger, string paymentId, long readVersion, long storedVersion);
}
