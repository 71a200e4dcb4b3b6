using Bakong.Display.Link;

namespace Bakong.Display.Emulation;

/// <summary>How the emulated display misbehaves, for testing the host against a bad line or a flaky device.</summary>
public sealed record EmulatorOptions
{
    /// <summary>Fraction of bytes lost, both directions.</summary>
    public double DropRate { get; init; }

    /// <summary>Fraction of bytes with one bit flipped, both directions.</summary>
    public double CorruptRate { get; init; }

    /// <summary>Every response is sent this much later.</summary>
    public TimeSpan AckDelay { get; init; }

    /// <summary>Reboot (new boot id, blank screen) this often; null never.</summary>
    public TimeSpan? RebootEvery { get; init; }

    /// <summary>Seed of the fault randomness; runs repeat.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>A QR MAC key (1–64 bytes): the emulated display advertises QR_MAC and requires the trailer (SPEC.md §6.5). Empty: none.</summary>
    public ReadOnlyMemory<byte> MacKey { get; init; }
}

/// <summary>
/// A display device in software, speaking protocol v1.1 over any stream (a pseudo-terminal's master side in
/// <c>bakong display emulate</c> and the end-to-end tests): each connection or reboot is a new boot of a
/// <see cref="DeviceLinkSession"/>. <see cref="WaitForScreenAsync"/> is the sync point tests await.
/// </summary>
public sealed class DisplayEmulator(DeviceIdentity identity, EmulatorOptions options, TimeProvider clock)
{
    private readonly Random _random = new(options.Seed);
    private DeviceScreen _screen = DeviceScreen.Blank;
    private volatile DeviceLinkSession? _session;
    private int _boots;

    /// <summary>Raised after every screen change of the current boot.</summary>
    public event Action<DeviceScreen>? ScreenChanged;

    public DeviceScreen Screen => Volatile.Read(ref _screen);

    public uint? BootId => _session?.BootId;

    public int Boots => Volatile.Read(ref _boots);

    /// <summary>Frames the current boot's decoder dropped (bad CRC, bad COBS, ...).</summary>
    public long FramesDropped => _session?.FramesDropped ?? 0;

    /// <summary>Runs the device over <paramref name="stream"/> until it ends or <paramref name="cancellationToken"/> fires, rebooting as configured.</summary>
    public async Task RunAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var wire = options.DropRate > 0 || options.CorruptRate > 0
            ? new FaultyStream(stream, options.DropRate, options.CorruptRate, _random)
            : stream;
        while (!cancellationToken.IsCancellationRequested)
        {
            var boot = Volatile.Read(ref _boots) + 1;
            using var power = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var session = new DeviceLinkSession(
                identity, new DeviceLinkOptions { AckDelay = options.AckDelay, ResetReason = boot == 1 ? (byte)1 : (byte)3, MacKey = options.MacKey }, clock);
            session.ScreenChanged += OnScreen;
            _session = session;
            OnScreen(DeviceScreen.Blank);

            // Counted once the new boot is in place: whoever sees Boots go up sees its BootId and its blank screen,
            // never the last boot's screen under the new count.
            Interlocked.Increment(ref _boots);
            var run = session.RunAsync(wire, power.Token);
            if (options.RebootEvery is { } every)
            {
                var rebooted = Task.Delay(every, clock, power.Token);
                if (await Task.WhenAny(run, rebooted).ConfigureAwait(false) == rebooted)
                {
                    await power.CancelAsync().ConfigureAwait(false);
                    await run.ConfigureAwait(false);
                    session.ScreenChanged -= OnScreen;
                    continue;
                }

                await power.CancelAsync().ConfigureAwait(false);
            }

            await run.ConfigureAwait(false);
            session.ScreenChanged -= OnScreen;
            return; // the stream ended (unplugged) or we were stopped
        }
    }

    /// <summary>The first screen (current or coming) that satisfies <paramref name="predicate"/>; a timeout fails with <see cref="TimeoutException"/>.</summary>
    public async Task<DeviceScreen> WaitForScreenAsync(Func<DeviceScreen, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var reached = new TaskCompletionSource<DeviceScreen>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(DeviceScreen screen)
        {
            if (predicate(screen))
            {
                reached.TrySetResult(screen);
            }
        }

        ScreenChanged += OnChanged;
        try
        {
            OnChanged(Screen);
            return await reached.Task.WaitAsync(timeout, clock, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ScreenChanged -= OnChanged;
        }
    }

    private void OnScreen(DeviceScreen screen)
    {
        Volatile.Write(ref _screen, screen);
        ScreenChanged?.Invoke(screen);
    }
}
