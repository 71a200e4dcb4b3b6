using Microsoft.Extensions.Logging;

namespace Bakong.OpenApi.Client;

// Event ids 1100-1199 belong to the Open API client. Nothing here takes a token: there is no parameter to put it in.
internal static partial class BakongClientLog
{
    [LoggerMessage(EventId = 1100, EventName = "BakongAttemptAnswered", Level = LogLevel.Debug,
        Message = "Bakong {Endpoint} ({Subject}) attempt {Attempt}: HTTP {HttpStatus}, responseCode {ResponseCode}, errorCode {ErrorCode}, {LatencyMs} ms")]
    public static partial void AttemptAnswered(
        ILogger logger, string endpoint, string? subject, int attempt, int? httpStatus, int? responseCode, int? errorCode, double latencyMs);

    [LoggerMessage(EventId = 1101, EventName = "BakongAttemptFaulted", Level = LogLevel.Warning,
        Message = "Bakong {Endpoint} ({Subject}) attempt {Attempt} faulted: {FaultKind}, HTTP {HttpStatus}, {LatencyMs} ms: {FaultMessage}")]
    public static partial void AttemptFaulted(
        ILogger logger, string endpoint, string? subject, int attempt, BakongFaultKind faultKind, int? httpStatus, double latencyMs, string faultMessage);

    [LoggerMessage(EventId = 1102, EventName = "BakongAttemptTimedOut", Level = LogLevel.Warning,
        Message = "Bakong {Endpoint} ({Subject}) attempt {Attempt} got no answer in time ({LatencyMs} ms)")]
    public static partial void AttemptTimedOut(ILogger logger, string endpoint, string? subject, int attempt, double latencyMs);

    [LoggerMessage(EventId = 1103, EventName = "BakongCircuitOpened", Level = LogLevel.Warning,
        Message = "Bakong circuit opened for {BreakDuration} after repeated faults; calls fail fast until then")]
    public static partial void CircuitOpened(ILogger logger, TimeSpan breakDuration);

    [LoggerMessage(EventId = 1104, EventName = "BakongCircuitClosed", Level = LogLevel.Information,
        Message = "Bakong circuit closed; calls go through again")]
    public static partial void CircuitClosed(ILogger logger);

    [LoggerMessage(EventId = 1105, EventName = "BakongCallRejectedCircuitOpen", Level = LogLevel.Warning,
        Message = "Bakong {Endpoint} ({Subject}) not called: the circuit is open")]
    public static partial void CircuitRejected(ILogger logger, string endpoint, string? subject);

    [LoggerMessage(EventId = 1106, EventName = "BakongTokenRejected", Level = LogLevel.Warning,
        Message = "Bakong rejected the token on {Endpoint}; asking the token source to renew it and retrying once")]
    public static partial void TokenRejected(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1107, EventName = "BakongTokenNotRenewed", Level = LogLevel.Error,
        Message = "Bakong rejected the token on {Endpoint} and no renewed token is available")]
    public static partial void TokenNotRenewed(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1108, EventName = "BakongNoToken", Level = LogLevel.Error,
        Message = "Bakong {Endpoint} not called: no Bakong token is configured")]
    public static partial void NoToken(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1109, EventName = "BakongMd5ListRefused", Level = LogLevel.Warning,
        Message = "Bakong refused the md5 list endpoint (HTTP {HttpStatus}) while single md5 checks work; using single checks until {Until}")]
    public static partial void Md5ListRefused(ILogger logger, int? httpStatus, DateTimeOffset until);
}
