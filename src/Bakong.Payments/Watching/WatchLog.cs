using Microsoft.Extensions.Logging;

namespace Bakong.Payments.Watching;

// Event ids 2400-2419 belong to the watch hub.
internal static partial class WatchLog
{
    [LoggerMessage(EventId = 2400, EventName = "PaymentWatchStarted", Level = LogLevel.Debug,
        Message = "Watching payment {PaymentId} after version {AfterVersion}")]
    public static partial void Started(ILogger logger, string paymentId, long afterVersion);

    [LoggerMessage(EventId = 2401, EventName = "PaymentWatchEnded", Level = LogLevel.Debug,
        Message = "Stopped watching payment {PaymentId} at version {Version}: {Reason}")]
    public static partial void Ended(ILogger logger, string paymentId, long version, WatchEnd reason);

    [LoggerMessage(EventId = 2402, EventName = "TerminalWatchStarted", Level = LogLevel.Debug,
        Message = "Watching terminal {TerminalId} (resumed from a cursor: {Resumed})")]
    public static partial void TerminalStarted(ILogger logger, string terminalId, bool resumed);

    [LoggerMessage(EventId = 2403, EventName = "TerminalWatchEnded", Level = LogLevel.Debug,
        Message = "Stopped watching terminal {TerminalId} at change {Sequence}: {Reason}")]
    public static partial void TerminalEnded(ILogger logger, string terminalId, long sequence, WatchEnd reason);

    [LoggerMessage(EventId = 2404, EventName = "EveryTerminalWatchStarted", Level = LogLevel.Debug,
        Message = "Watching every terminal (resumed from a cursor: {Resumed})")]
    public static partial void EveryTerminalStarted(ILogger logger, bool resumed);

    [LoggerMessage(EventId = 2405, EventName = "EveryTerminalWatchEnded", Level = LogLevel.Debug,
        Message = "Stopped watching every terminal at change {Sequence}: {Reason}")]
    public static partial void EveryTerminalEnded(ILogger logger, long sequence, WatchEnd reason);

    [LoggerMessage(EventId = 2406, EventName = "TerminalWatchChangesMissed", Level = LogLevel.Warning,
        Message = "Changes other gateways committed may not have reached this one (its change listener was disconnected): "
            + "{Streams} terminal stream(s) dropped; their clients start over from the current state when they call again")]
    public static partial void ChangesMissed(ILogger logger, int streams);
}

/// <summary>Why a watching stream ended.</summary>
internal enum WatchEnd
{
    /// <summary>The payment reached a terminal state and the stream showed it (or the client already had it).</summary>
    Terminal = 1,

    /// <summary>The caller cancelled (the client went away).</summary>
    Cancelled = 2,

    /// <summary>The application is stopping.</summary>
    Stopping = 3,

    /// <summary>The payment does not exist.</summary>
    NotFound = 4,

    /// <summary>The reader stopped reading before an end, or reading the payment failed.</summary>
    Abandoned = 5,

    /// <summary>A terminal's stream fell too far behind and was dropped.</summary>
    Behind = 6,

    /// <summary>A terminal's stream was dropped because changes saved elsewhere may be missing.</summary>
    ChangesMissed = 7,
}
