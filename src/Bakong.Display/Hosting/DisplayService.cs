using Bakong.Display.Link;
using Bakong.Display.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bakong.Display;

/// <summary>
/// Owns every configured display's serial port, one loop per port: open → link session → (unplug, silence) → close off
/// the loop with a timeout → reopen with backoff 0.5, 1, 2, 5 s. The desired screen lives in the display's controller,
/// so whatever changed meanwhile is sent whole once the device answers again.
/// </summary>
internal sealed class DisplayService(ConfiguredDisplays displays, DisplayClock clock, TimeProvider wallClock, ILoggerFactory loggers) : BackgroundService
{
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];
    private readonly ILogger _logger = loggers.CreateLogger("Bakong.Display");

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(displays.All.Select(d => Task.Run(() => RunPortAsync(d, stoppingToken), CancellationToken.None)));

    private async Task RunPortAsync(ConfiguredDisplay display, CancellationToken stoppingToken)
    {
        var options = display.Options;
        var controller = display.Controller;
        DisplayLog.BridgeStarted(_logger, options.TerminalId, options.PortName);
        var attempt = 0;
        string? lastFailure = null;
        var link = new HostLinkOptions { BaudRate = options.BaudRate };
        while (!stoppingToken.IsCancellationRequested)
        {
            SerialPortConnection connection;
            try
            {
                connection = SerialPortConnection.Open(options, clock.Time, _logger);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
            {
                var delay = Backoff[Math.Min(attempt++, Backoff.Length - 1)];
                var reason = e.InnerException?.Message is { } inner ? e.Message + ": " + inner : e.Message;
                // The first failure (or a new reason) is a warning; the same failure again every few seconds is not news.
                if (reason == lastFailure)
                {
                    DisplayLog.PortStillFailing(_logger, options.TerminalId, options.PortName, reason, delay);
                }
                else
                {
                    DisplayLog.PortOpenFailed(_logger, options.TerminalId, options.PortName, reason, delay);
                    lastFailure = reason;
                }

                controller.UpdateStatus(s => s with { State = DisplayLinkState.Disconnected, LastError = reason });
                await DelayAsync(delay, stoppingToken).ConfigureAwait(false);
                continue;
            }

            lastFailure = null;
            var session = new HostLinkSession(controller, link, clock.Time, wallClock, _logger);
            var wasOnline = false;
            void Watch(DisplayLinkStatus s) => wasOnline |= s.State == DisplayLinkState.Online;
            controller.StatusChanged += Watch;
            LinkEnd end;
            try
            {
                end = await session.RunAsync(connection.Stream, stoppingToken).ConfigureAwait(false);
            }
            finally
            {
                controller.StatusChanged -= Watch;
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            if (end == LinkEnd.Cancelled)
            {
                break;
            }

            DisplayLog.PortLost(_logger, options.TerminalId, options.PortName, end.ToString());
            controller.UpdateStatus(s => s with { State = DisplayLinkState.Disconnected, Reconnects = s.Reconnects + 1 });
            attempt = wasOnline ? 0 : attempt;
            await DelayAsync(Backoff[Math.Min(attempt++, Backoff.Length - 1)], stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, clock.Time, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
