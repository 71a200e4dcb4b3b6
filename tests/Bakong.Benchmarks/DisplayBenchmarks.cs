using BenchmarkDotNet.Attributes;
using Bakong.Display;
using Bakong.Display.Emulation;
using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Display.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Benchmarks;

/// <summary>The display frame codec on a SHOW_QR with a 216-character KHQR: pack, frame, and decode byte by byte.</summary>
[MemoryDiagnoser]
public class DisplayCodecBenchmarks
{
    private readonly ShowQrMessage _message = DisplayBenchmarkData.ShowQr("01JDW6ZK8Q4T3N5V7X9B2C4D6F");
    private readonly byte[] _wire = new byte[FrameCodec.MaxWire];
    private readonly FrameDecoder _decoder = new();
    private int _wireLength;

    [GlobalSetup]
    public void Setup() => _wireLength = PackAndFrame();

    [Benchmark]
    public int PackAndFrame()
    {
        Span<byte> payload = stackalloc byte[FrameCodec.MaxPayload];
        var writer = new PayloadWriter(payload);
        _message.Write(ref writer);
        return FrameCodec.Encode(FrameCodec.ProtocolVersion, (byte)MessageType.ShowQr, FrameOptions.AckRequested, 7, writer.WrittenSpan, _wire);
    }

    [Benchmark]
    public int DecodeByteByByte()
    {
        var length = 0;
        foreach (var b in _wire.AsSpan(0, _wireLength))
        {
            if (_decoder.Push(b, out var frame))
            {
                length = frame.Payload.Length;
            }
        }

        return length;
    }
}

/// <summary>
/// A screen change to the device's ACK, through the real stack: the host link session writing to a System.IO.Ports
/// <c>SerialPort</c> on a pseudo-terminal at 115200 baud, the emulator's device session answering on the master side.
/// A pty ignores the baud rate, so this is the software's share; the wire's share at 115200 8N1 is in docs/benchmarks.md.
/// </summary>
public class DisplayLatencyBenchmarks
{
    private readonly DisplayController _controller = new("BENCH");
    private readonly CancellationTokenSource _stop = new();
    private PseudoTerminal? _pty;
    private SerialPortConnection? _port;
    private Task? _host;
    private Task? _device;
    private TaskCompletionSource? _acked;
    private DateTimeOffset? _lastAck;
    private int _n;
    private QrScreen? _current;

    [GlobalSetup]
    public void Setup()
    {
        _pty = PseudoTerminal.Open();
        var emulator = new DisplayEmulator(new DeviceIdentity(), new EmulatorOptions(), TimeProvider.System);
        _device = emulator.RunAsync(_pty.Master, _stop.Token);
        _port = SerialPortConnection.Open(new DisplayPortOptions { TerminalId = "BENCH", PortName = _pty.SlavePath }, TimeProvider.System, NullLogger.Instance);
        _controller.StatusChanged += s =>
        {
            if (s.LastAckTime != _lastAck)
            {
                _lastAck = s.LastAckTime;
                _acked?.TrySetResult();
            }
        };
        var online = new TaskCompletionSource();
        _controller.StatusChanged += s =>
        {
            if (s.State == DisplayLinkState.Online)
            {
                online.TrySetResult();
            }
        };
        _host = new HostLinkSession(_controller, new HostLinkOptions { BaudRate = 115200 }, TimeProvider.System, TimeProvider.System, NullLogger.Instance)
            .RunAsync(_port.Stream, _stop.Token);
        online.Task.Wait(TimeSpan.FromSeconds(10));
        ShowQrToAck().GetAwaiter().GetResult();
    }

    /// <summary>A new payment's SHOW_QR (272 bytes on the wire) until the host has its ACK.</summary>
    [Benchmark]
    public Task ShowQrToAck()
    {
        _current = new QrScreen(DisplayBenchmarkData.Payment("pay-" + _n++));
        return ChangeAsync(_current);
    }

    /// <summary>
    /// A result for the QR on screen until the host has its ACK: SHOW_RESULT to a v1.1 device (the emulator), which
    /// replaced v1.0's SET_STATUS so that a re-sync never draws a paid QR again.
    /// </summary>
    [Benchmark]
    public Task SetStatusToAck() =>
        ChangeAsync(new ResultScreen(_current!.Payment, _n++ % 2 == 0 ? DisplayStatus.Paid : DisplayStatus.Failed, ""));

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _host?.Wait(TimeSpan.FromSeconds(5));
        _port?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        _pty?.Dispose();
        _device?.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private async Task ChangeAsync(DesiredScreen screen)
    {
        var acked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _acked = acked;
        _controller.SetDesired(screen);
        await acked.Task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }
}

internal static class DisplayBenchmarkData
{
    /// <summary>A typical KHQR: 216 characters.</summary>
    public const string Khqr =
        "00020101021230480015kiosk_shop@aclb011012345678900211ACLEDA Bank5204599953038405405" +
        "12.505802KH5912Sokha Coffee6010Phnom Penh62410115INV-2026-0001230309Riverside0706POS-0199340013176722560000001131767225900000630412AB";

    public static ShowQrMessage ShowQr(string paymentId) =>
        new(paymentId, 1250, 840, 2, 1_767_225_900_000, 300, "Sokha Coffee", Khqr);

    // Expiring in 2100: the host sends a QR only while at least a second is left (SPEC §10.2), and the benchmark runs
    // on the real clock.
    public static DisplayPayment Payment(string paymentId) =>
        new(paymentId, 1250, 840, 2, 4_102_444_800_000, "Sokha Coffee", Khqr);
}
