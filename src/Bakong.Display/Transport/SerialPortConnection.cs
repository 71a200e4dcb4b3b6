using System.IO.Ports;
using Microsoft.Extensions.Logging;

namespace Bakong.Display.Transport;

/// <summary>
/// One open <see cref="SerialPort"/>, used only through <see cref="Stream"/> (its <c>BaseStream</c>) by one owner: one
/// read loop with a cancellation token (ReadTimeout does not apply to <c>ReadAsync</c> on Linux), no
/// <c>DataReceived</c>, one writer. <see cref="DisposeAsync"/> closes it off the caller's thread with a timeout, because
/// <c>Close</c> hangs forever after a write to a port whose device vanished.
/// </summary>
internal sealed class SerialPortConnection : IAsyncDisposable
{
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(2);
    private readonly SerialPort _port;
    private readonly DisplayPortOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    private SerialPortConnection(SerialPort port, DisplayPortOptions options, TimeProvider clock, ILogger logger)
    {
        _port = port;
        _options = options;
        _clock = clock;
        _logger = logger;
        Stream = port.BaseStream;
    }

    public Stream Stream { get; }

    /// <summary>
    /// Opens the port: 8N1, no handshake, DTR as configured (a pseudo-terminal fails to open with DTR on), RTS off, a
    /// finite write timeout as a backstop, and whatever the device sent while nobody listened discarded (unless a
    /// conformance check wants to see it: a boot banner is a finding there).
    /// </summary>
    /// <exception cref="IOException">The port does not exist or cannot be opened (busy, permission: <see cref="UnauthorizedAccessException"/>).</exception>
    public static SerialPortConnection Open(DisplayPortOptions options, TimeProvider clock, ILogger logger, bool discardInput = true)
    {
        ArgumentNullException.ThrowIfNull(options);

        // A missing device otherwise surfaces as UnauthorizedAccessException("... Unknown error 203").
        if (!Exists(options.PortName))
        {
            throw new FileNotFoundException("no such device", options.PortName);
        }

        var port = new SerialPort(options.PortName, options.BaudRate, Parity.None, 8, StopBits.One)
        {
            Handshake = Handshake.None,
            DtrEnable = options.Dtr,
            RtsEnable = false,
            WriteTimeout = 1000,
        };
        try
        {
            port.Open();
            if (discardInput)
            {
                port.DiscardInBuffer();
            }
        }
        catch
        {
            port.Dispose();
            throw;
        }

        DisplayLog.PortOpened(logger, options.TerminalId, options.PortName, options.BaudRate, options.Dtr);
        return new SerialPortConnection(port, options, clock, logger);
    }

    /// <summary>
    /// Whether the port's path names a device now. A udev (or test) symlink whose device is gone still exists for
    /// <see cref="File.Exists"/>, so links are followed to their final target.
    /// </summary>
    public static bool Exists(string portName)
    {
        var info = new FileInfo(portName);
        return info.Exists && (info.LinkTarget is null || info.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true });
    }

    public async ValueTask DisposeAsync()
    {
        var close = Task.Run(_port.Dispose);
        try
        {
            await close.WaitAsync(s_closeTimeout, _clock).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            DisplayLog.PortCloseHung(_logger, _options.TerminalId, _options.PortName, s_closeTimeout);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            // Closing a port whose device is gone may fail; it is closed as far as we are concerned.
        }
    }
}
