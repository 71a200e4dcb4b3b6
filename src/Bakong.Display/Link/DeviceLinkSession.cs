using Bakong.Display.Protocol;

namespace Bakong.Display.Link;

/// <summary>
/// One boot of a display device over a stream: a <see cref="DisplayDevice"/> fed by the stream's bytes and a timer,
/// its output written back (answers held back by <see cref="DeviceLinkOptions.AckDelay"/> when a slow device is
/// emulated). Used by the emulator and the tests.
/// </summary>
public sealed class DeviceLinkSession : IDisposable
{
    private readonly LinkInbox _inbox = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly DeviceLinkOptions _options;
    private readonly TimeProvider _clock;
    private readonly DisplayDevice _device;
    private DeviceScreen _screen;

    public DeviceLinkSession(DeviceIdentity identity, DeviceLinkOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        _options = options;
        _clock = clock;
        _device = new DisplayDevice(identity, options, clock.GetUtcNow());
        _screen = _device.Screen;
    }

    public uint BootId => _device.BootId;

    public DeviceScreen Screen => Volatile.Read(ref _screen);

    /// <summary>Raised on the session's loop after every change of <see cref="Screen"/>.</summary>
    public event Action<DeviceScreen>? ScreenChanged;

    /// <summary>How many times each request type was executed (duplicates are answered but not counted).</summary>
    public int ExecutedCount(MessageType type) => _device.ExecutedCount(type);

    /// <summary>Frames the device's decoder dropped, all reasons.</summary>
    public long FramesDropped { get; private set; }

    public async Task RunAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var timer = _clock.CreateTimer(_ => _inbox.Signal(LinkInput.TickInput), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var reader = Task.Run(() => FramePump.ReadAsync(stream, _inbox.Writer, stop.Token), CancellationToken.None);
        try
        {
            while (true)
            {
                await FlushAsync(stream, stop.Token).ConfigureAwait(false);
                Arm(timer);
                var input = await _inbox.ReadAsync(stop.Token).ConfigureAwait(false);
                switch (input)
                {
                    case LinkInput.Bytes bytes:
                        _device.Receive(bytes.Value, _clock.GetUtcNow());
                        break;
                    case LinkInput.Tick:
                        _device.Poll(_clock.GetUtcNow());
                        break;
                    case LinkInput.StreamEnded:
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void Arm(ITimer timer)
    {
        var due = _device.NextDue;
        if (due == DateTimeOffset.MaxValue)
        {
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var wait = due - _clock.GetUtcNow();
        timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Publishes a new screen and writes what the device queued.</summary>
    private async ValueTask FlushAsync(Stream stream, CancellationToken cancellationToken)
    {
        var counters = _device.Counters;
        FramesDropped = (long)counters.CobsInvalid + counters.TooShort + counters.LengthMismatch + counters.BadCrc + counters.TooLong;

        // Held answers' timers start before the screen is published: whoever the new screen wakes (a test moving the
        // clock) finds them running, so each answer leaves exactly AckDelay after its request was handled.
        List<byte[]>? now = null;
        while (_device.TryTakeOutput(out var output))
        {
            if (output.IsAnswer && _options.AckDelay > TimeSpan.Zero)
            {
                _ = SendLaterAsync(stream, output.Wire, Task.Delay(_options.AckDelay, _clock, cancellationToken), cancellationToken);
                continue;
            }

            (now ??= []).Add(output.Wire);
        }

        if (!ReferenceEquals(_device.Screen, _screen))
        {
            Volatile.Write(ref _screen, _device.Screen);
            ScreenChanged?.Invoke(_screen);
        }

        foreach (var wire in now ?? [])
        {
            await WriteAsync(stream, wire, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendLaterAsync(Stream stream, byte[] wire, Task delay, CancellationToken cancellationToken)
    {
        try
        {
            await delay.ConfigureAwait(false);
            await WriteAsync(stream, wire, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The session ended while the answer waited.
        }
    }

    private async ValueTask WriteAsync(Stream stream, byte[] wire, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void Dispose() => _writeLock.Dispose();
}
