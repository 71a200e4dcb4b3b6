using Bakong.Display.Link;
using Bakong.Display.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bakong.Display;

/// <summary>
/// Owns every configured display's serial port, one loop per port: open → link session → (unplug, silence) → close off
/// the loop with a timeout → reopen. A port that is not there (unplugged) is watched with a cheap existence check every
/// <see cref="PortWatch"/> and opened as soon as it appears, whatever the outage lasted; a port that is there but will
/// not open is retried with backoff 0.5, 1, 2, 5 s (SPEC.md §8), cut short when the port is replugged meanwhile. The
/// desired screen lives in the display's controller, so whatever changed meanwhile is sent whole once the device
/// answers again.
/// </summary>
internal sealed class DisplayService(
    ConfiguredDisplays displays, DisplayClock clock, TimeProvider wallClock, ILoggerFactory loggers, IDisplayOutcomeSource? outcomes = null)
    : BackgroundService
{
    /// <summary>How often a missing port is looked for: a replugged display is driven again well within a second.</summary>
    internal static readonly TimeSpan PortWatch = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan[] s_backoff = [TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];
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
        var link = new HostLinkOptions { BaudRate = options.BaudRate, QrMacKey = options.ReadQrMacKey(), Language = display.Language };
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!PortExists(options.PortName))
            {
                DisplayLog.PortWaiting(_logger, options.TerminalId, options.PortName);
                controller.UpdateStatus(s => s with { State = DisplayLinkState.Disconnected, LastError = "waiting for " + options.PortName });
                await WatchForPortAsync(options.PortName, stoppingToken).ConfigureAwait(false);
                attempt = 0; // it just appeared: open it now
                lastFailure = null;
                continue;
            }

            SerialPortConnection connection;
            try
            {
                connection = SerialPortConnection.Open(options, clock.Time, _logger);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
            {
                var delay = s_backoff[Math.Min(attempt++, s_backoff.Length - 1)];
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

                var failedAt = clock.Time.GetUtcNow();
                controller.UpdateStatus(s => s with
                {
                    State = DisplayLinkState.Disconnected, LastError = reason, LastFault = LinkFault.Of(LinkFaultKind.Port, reason, failedAt),
                });
                await BackOffAsync(options.PortName, delay, stoppingToken).ConfigureAwait(false);
                continue;
            }

            lastFailure = null;
            var session = new HostLinkSession(controller, link, clock.Time, wallClock, _logger, outcomes);
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
            if (PortExists(options.PortName))
            {
                // Still there (a silent device, a dead stream): reopen after a pause. Unplugged: watched at the loop's top.
                await BackOffAsync(options.PortName, s_backoff[Math.Min(attempt++, s_backoff.Length - 1)], stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private static bool PortExists(string portName) => SerialPortConnection.Exists(portName);

    /// <summary>Returns as soon as <paramref name="portName"/> exists (checked every <see cref="PortWatch"/>).</summary>
    private async Task WatchForPortAsync(string portName, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested && !PortExists(portName))
        {
            await DelayAsync(PortWatch, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits <paramref name="delay"/>, or less when the port goes away and comes back meanwhile (a replug opens at once).</summary>
    private async Task BackOffAsync(string portName, TimeSpan delay, CancellationToken stoppingToken)
    {
        var until = clock.Time.GetUtcNow() + delay;
        var wentAway = false;
        while (!stoppingToken.IsCancellationRequested && clock.Time.GetUtcNow() < until)
        {
            var exists = PortExists(portName);
            if (wentAway && exists)
            {
                return;
            }

            wentAway |= !exists;
            var left = until - clock.Time.GetUtcNow();
            await DelayAsync(left < PortWatch ? left : PortWatch, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, clock.Time, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
