using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Display.Tests.Link;

/// <summary>
/// The host's link (<see cref="HostLink"/>) and a device (<see cref="DisplayDevice"/>) joined by a simulated wire, without
/// I/O or threads: every frame is delivered at once (or lost, on request), time moves only in <see cref="Run"/>, from
/// one timer to the next. Records what crossed the wire and every screen the device drew, so a test can check the
/// re-sync rules and that no QR of a payment is drawn after its result.
/// </summary>
internal sealed class LinkRig
{
    private readonly byte _deviceMinor;
    private readonly ReadOnlyMemory<byte> _deviceKey;
    private readonly ushort _mtu;
    private readonly HostLinkOptions _hostOptions;
    private readonly Dictionary<string, int> _resultDesiredAt = []; // the index in Screens from which the result is desired
    private uint _boots;
    private int _dropToDevice;
    private int _dropToHost;

    public LinkRig(
        byte deviceMinor = FrameCodec.ProtocolMinor, ReadOnlyMemory<byte> deviceKey = default, HostLinkOptions? hostOptions = null,
        IDisplayOutcomeSource? outcomes = null, ushort mtu = FrameCodec.MaxHeaderAndPayload)
    {
        _deviceMinor = deviceMinor;
        _mtu = mtu;
        _deviceKey = deviceKey;
        _hostOptions = hostOptions ?? new HostLinkOptions();
        Outcomes = outcomes;
        Device = NewDevice();
        Connect();
        Run(TimeSpan.FromMilliseconds(1));
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    public DisplayController Controller { get; } = new("POS-01");

    public DisplayDevice Device { get; private set; }

    public HostLink? Host { get; private set; }

    public IDisplayOutcomeSource? Outcomes { get; }

    /// <summary>Every frame the host wrote (delivered or not), decoded.</summary>
    public List<DisplayMessage> ToDevice { get; } = [];

    /// <summary>The same frames as header + payload lengths (what an MTU limits).</summary>
    public List<int> ToDeviceSizes { get; } = [];

    /// <summary>Every screen the device showed, in order, with the time (countdown and offline-mark changes included).</summary>
    public List<(DateTimeOffset At, DeviceScreen Screen)> Screens { get; } = [];

    /// <summary>
    /// Screens that put a payment's QR code on screen after a result for it was desired: must stay empty. (A QR already
    /// on a display that was away when the result came stays until the display hears of it; that is not a draw.)
    /// </summary>
    public IEnumerable<DeviceScreen> QrsDrawnAfterTheirResult =>
        Screens.Where((s, i) => s.Screen.ShowsQrCode && _resultDesiredAt.TryGetValue(s.Screen.PaymentId, out var from) && i >= from
            && !(i > 0 && Screens[i - 1].Screen.ShowsQrCode && Screens[i - 1].Screen.PaymentId == s.Screen.PaymentId)).Select(s => s.Screen);

    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>Sets the desired screen as the bridge does (the link hears of it at once); false if the controller refused it.</summary>
    public bool Desire(DesiredScreen screen)
    {
        if (!Controller.SetDesired(screen))
        {
            return false;
        }

        if (screen is ResultScreen result)
        {
            Record();
            _resultDesiredAt.TryAdd(result.PaymentId, Screens.Count); // the screen shown now was drawn before
        }

        Host?.DesiredChanged(Now);
        Deliver();
        return true;
    }

    /// <summary>Queues an operator's command as the gateway does (the link hears of it at once); false if one is already waiting.</summary>
    public bool Submit(DeviceCommand command)
    {
        if (!Controller.TrySubmit(command))
        {
            return false;
        }

        Host?.CommandQueued(Now);
        Deliver();
        return true;
    }

    /// <summary>The port closes (unplug): the host's session is gone; the device keeps its boot.</summary>
    public void Disconnect() => Host = null;

    /// <summary>The port is (re)opened: a new host session, which handshakes and re-syncs.</summary>
    public void Connect()
    {
        Host = new HostLink(Controller, _hostOptions, Clock, NullLogger.Instance, Outcomes);
        Host.Start(Now);
        Deliver();
    }

    /// <summary>The device restarts: a new boot id, a blank screen, its RAM (and result latch) gone; it says BOOT.</summary>
    public void Reboot()
    {
        Device = NewDevice();
        Record();
        Deliver();
    }

    /// <summary>The next <paramref name="count"/> frames the host writes are lost.</summary>
    public void DropToDevice(int count) => _dropToDevice += count;

    /// <summary>The next <paramref name="count"/> frames the device writes are lost.</summary>
    public void DropToHost(int count) => _dropToHost += count;

    /// <summary>
    /// The line stops losing frames: losses asked for but not yet used up are cancelled. (Drops asked for while nothing
    /// crosses the wire add up; without this they would be spent on whatever is written next, however long that takes.)
    /// </summary>
    public void StopLosing() => (_dropToDevice, _dropToHost) = (0, 0);

    /// <summary>Lets <paramref name="duration"/> pass, firing every timer of both sides in order and delivering what they write.</summary>
    public void Run(TimeSpan duration)
    {
        var end = Now + duration;
        Deliver();
        var (last, spins) = (Now, 0);
        while (true)
        {
            (last, spins) = Now == last ? (last, spins + 1) : (Now, 0);
            if (spins > 1000)
            {
                throw new InvalidOperationException("the timers do not move on at " + Now.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            }

            var next = Host is null ? Device.NextDue : Min(Host.NextDue, Device.NextDue);
            if (next > end)
            {
                Clock.SetUtcNow(end);
                return;
            }

            if (next > Now)
            {
                Clock.SetUtcNow(next);
            }

            if (Host?.Poll(Now) is not null)
            {
                // The host gave the device up (silence): the port is closed and opened again.
                Host = null;
                Connect();
            }

            Device.Poll(Now);
            Record();
            Deliver();
        }
    }

    /// <summary>The screen commands the host wrote from frame <paramref name="from"/> on (no HELLO, PING or GET_STATE).</summary>
    public List<DisplayMessage> ScreenCommandsSince(int from) =>
        [.. ToDevice.Skip(from).Where(m => m.Type is MessageType.ShowIdle or MessageType.ShowQr or MessageType.SetStatus or MessageType.ShowResult or MessageType.Clear)];

    private DisplayDevice NewDevice() => new(
        new DeviceIdentity(),
        new DeviceLinkOptions { BootId = 0x7000 + ++_boots, ProtocolMinor = _deviceMinor, MacKey = _deviceKey, Mtu = _mtu },
        Now);

    private void Deliver()
    {
        Record();
        for (var progress = true; progress;)
        {
            progress = false;
            while (Host is not null && Host.TryTakeOutput(out var wire))
            {
                progress = true;
                ToDevice.Add(Decode(wire, out var size));
                ToDeviceSizes.Add(size);
                if (_dropToDevice > 0)
                {
                    _dropToDevice--;
                    continue;
                }

                Device.Receive(wire, Now);
                Record();
            }

            while (Device.TryTakeOutput(out var output))
            {
                progress = true;
                if (_dropToHost > 0 || Host is null)
                {
                    _dropToHost -= _dropToHost > 0 ? 1 : 0;
                    continue;
                }

                Host.Receive(output.Wire, Now);
            }
        }
    }

    private void Record()
    {
        if (Screens.Count == 0 || !ReferenceEquals(Screens[^1].Screen, Device.Screen))
        {
            Screens.Add((Now, Device.Screen));
        }
    }

    /// <summary>One frame's message (a MAC trailer is ignored like any bytes after the fields).</summary>
    private static DisplayMessage Decode(byte[] wire, out int size)
    {
        var decoder = new FrameDecoder();
        foreach (var b in wire)
        {
            if (decoder.Push(b, out var frame))
            {
                size = FrameCodec.HeaderLength + frame.Payload.Length;
                DisplayMessages.TryRead(frame.Type, frame.Payload, out var message);
                return message ?? new Unreadable(frame.MessageType); // out of the v1.1 ranges, as a test may make the host send
            }
        }

        throw new InvalidOperationException("not one frame");
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>A frame whose payload a v1.1 reader refuses: only its type is known.</summary>
    private sealed record Unreadable(MessageType Kind) : DisplayMessage
    {
        public override MessageType Type => Kind;

        public override void Write(ref PayloadWriter writer)
        {
        }
    }
}
