using Microsoft.Extensions.Logging;

namespace Bakong.OpenApi.Audit;

/// <summary>Call audit log events (EventIds 1200–1299).</summary>
internal static partial class AuditLog
{
    [LoggerMessage(EventId = 1200, EventName = "BakongCall",
        Message = "Bakong {Endpoint} attempt {Attempt}: {Outcome} (HTTP {HttpStatus}, responseCode {ResponseCode}, errorCode {ErrorCode}, \"{ResponseMessage}\") in {LatencyMs} ms, subject {Subject}")]
    public static partial void BakongCall(
        ILogger logger,
        LogLevel level,
        string endpoint,
        int attempt,
        string outcome,
        int? httpStatus,
        int? responseCode,
        int? errorCode,
        string? responseMessage,
        double latencyMs,
        string? subject);

    [LoggerMessage(EventId = 1201, EventName = "AuditRecordsDropped", Level = LogLevel.Warning,
        Message = "{Count} Bakong call audit records were not persisted because the audit queue was full; their log events were emitted")]
    public static partial void RecordsDropped(ILogger logger, long count);

    [LoggerMessage(EventId = 1202, EventName = "AuditWriteFailed", Level = LogLevel.Error,
        Message = "Persisting {Count} Bakong call audit records failed")]
    public static partial void WriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 1203, EventName = "AuditPruned", Level = LogLevel.Debug,
        Message = "Pruned {Count} Bakong call audit records (retention {Retention}, at most {MaxRecords} kept)")]
    public static partial void Pruned(ILogger logger, int count, TimeSpan retention, int maxRecords);

    [LoggerMessage(EventId = 1204, EventName = "AuditPruneFailed", Level = LogLevel.Error,
        Message = "Pruning the Bakong call audit failed")]
    public static partial void PruneFailed(ILogger logger, Exception exception);
}
