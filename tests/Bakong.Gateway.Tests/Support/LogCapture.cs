using Microsoft.Extensions.Logging;

namespace Bakong.Gateway.Tests.Support;

/// <summary>Every log event the gateway writes (at the levels its configuration lets through), for assertions on event names.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly List<CapturedLog> _entries = [];

    public IReadOnlyList<CapturedLog> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>The events named <paramref name="eventName"/> so far.</summary>
    public IReadOnlyList<CapturedLog> Named(string eventName) => [.. Entries.Where(e => e.EventName == eventName)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(CapturedLog entry)
    {
        lock (_gate)
        {
            _entries.Add(entry);
        }
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                capture.Add(new CapturedLog(category, logLevel, eventId.Id, eventId.Name, formatter(state, exception)));
            }
        }
    }
}

public sealed record CapturedLog(string Category, LogLevel Level, int EventId, string? EventName, string Message);
