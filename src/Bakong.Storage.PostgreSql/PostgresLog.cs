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

    [LoggerMessage(EventId = 2803, EventName = "PostgresListening", Level = LogLevel.Information,
        Message = "Listening for changes of other replicas: {Channels}")]
    public static partial void Listening(ILogger logger, string channels);

    [LoggerMessage(EventId = 2804, EventName = "PostgresListenerLost", Level = LogLevel.Warning,
        Message = "The payment change listener lost PostgreSQL ({ErrorType}: {Error}): watch streams here miss other replicas' changes until it reconnects, next try in {RetrySeconds:F0} s")]
    public static partial void ListenerLost(ILogger logger, double retrySeconds, string errorType, string error);

    [LoggerMessage(EventId = 2805, EventName = "PostgresChangeReadFailed", Level = LogLevel.Warning,
        Message = "Reading payment {PaymentId} after another replica changed it failed ({ErrorType}: {Error})")]
    public static partial void ChangeReadFailed(ILogger logger, string paymentId, string errorType, string error);

    [LoggerMessage(EventId = 2806, EventName = "PostgresPartialBatchGivenUp", Level = LogLevel.Debug,
        Message = "Gave up {Count} due payments (less than one list call) to the replica with the lowest id holding leases, which checks them with its own")]
    public static partial void PartialBatchGivenUp(ILogger logger, int count);

    [LoggerMessage(EventId = 2807, EventName = "PostgresClientsReloaded", Level = LogLevel.Debug,
        Message = "API clients read from PostgreSQL: {Count} ({Reason})")]
    public static partial void ClientsReloaded(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 2808, EventName = "PostgresClientsReloadFailed", Level = LogLevel.Warning,
        Message = "Reading the API clients from PostgreSQL ({Reason}) failed ({ErrorType}: {Error}): keys are checked against the clients read before until a later read succeeds")]
    public static partial void ClientsReloadFailed(ILogger logger, string reason, string errorType, string error);
}
