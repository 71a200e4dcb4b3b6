using Microsoft.Extensions.Logging;

namespace Bakong.Gateway.Tests.Support;

/// <summary>Every log event the gateway writes (at the levels its configuration lets through), for assertions on event names.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly List<CapturedLog> _entries = [];
    private readonly List<(string EventName, TaskCompletionSource<CapturedLog> Signal)> _waiters = [];

    /// <summary>The lowest level captured; the gateway's own <c>Logging:LogLevel</c> filters apply first.</summary>
    public LogLevel MinimumLevel { get; set; } = LogLevel.Information;

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

    /// <summary>The first event named <paramref name="eventName"/>, logged already or later; fails after <see cref="GatewayFactory.Timeout"/>.</summary>
    public Task<CapturedLog> WaitForAsync(string eventName) => WaitForAsync(eventName, after: 0, GatewayFactory.Timeout);

    /// <summary>
    /// The event named <paramref name="eventName"/> that follows the first <paramref name="after"/> of them, logged
    /// already or later; fails with a <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public Task<CapturedLog> WaitForAsync(string eventName, int after, TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_entries.Where(e => e.EventName == eventName).Skip(after).FirstOrDefault() is { } logged)
            {
                return Task.FromResult(logged);
            }

            var signal = new TaskCompletionSource<CapturedLog>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((eventName, signal));
            return signal.Task.WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(CapturedLog entry)
    {
        List<TaskCompletionSource<CapturedLog>> woken = [];
        lock (_gate)
        {
            _entries.Add(entry);
            woken.AddRange(_waiters.Where(w => w.EventName == entry.EventName).Select(w => w.Signal));
            _waiters.RemoveAll(w => w.EventName == entry.EventName);
        }

        woken.ForEach(w => w.TrySetResult(entry));
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= capture.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                capture.Add(new CapturedLog(category, logLevel, eventId.Id, eventId.Name, formatter(state, exception), exception));
            }
        }
    }
}

public sealed record CapturedLog(string Category, LogLevel Level, int EventId, string? EventName, string Message, Exception? Exception);
