using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Display.Tests.Link;

/// <summary>
/// A display is untrusted input: what it writes reaches the log, health and <c>bakong display status</c> escaped and
/// bounded, and how much it can make the host log is limited per display. The device here is a scripted peer on an
/// in-memory stream; the host session runs on a fake clock.
/// </summary>
public sealed class UntrustedDeviceTests : IDisposable
{
    private const string Terminal = "POS-01";
    private const uint FirstBoot = 0x1000;

    // A terminal-clearing escape, a forged gateway log line after CR LF, C1 CSI, a line separator and a bidi override.
    private const string Hostile = "\u001B[2J\r\ninfo: Bakong.Payments[2001]\r\n      Payment paid\u009B31m\u2028\u202E";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger _logger = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ConfiguredDisplay _display;
    private readonly MetricCollector<long> _suppressed;

    public UntrustedDeviceTests()
    {
        _display = new ConfiguredDisplay(new DisplayPortOptions { TerminalId = Terminal, PortName = "/dev/null" }, "Coffee");
        var meterFactory = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        _ = new DisplayMetrics(meterFactory, new ConfiguredDisplays([_display]));
        _suppressed = new MetricCollector<long>(meterFactory, DisplayMetrics.MeterName, "bakong.display.log.suppressed");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DisplayController Controller => _display.Controller;

    public void Dispose()
    {
        _suppressed.Dispose();
        _services.Dispose();
    }

    [Fact]
    public async Task Control_characters_and_forged_lines_from_a_device_reach_the_log_and_status_escaped_and_bounded()
    {
        await using var link = PeerLink.Host(Host());
        var peer = link.Peer;

        var hello = await peer.NextAsync(MessageType.Hello);
        await peer.RespondAsync(hello, new HelloAckMessage(1, 0, FirstBoot, 640, 1, "1.0\u001B[2J", Hostile[..40], new string('\u001B', PayloadLimits.Text)));
        await peer.SendAsync(new LogMessage(1, Hostile), FrameOptions.None, 0);
        await peer.SendAsync(new StateChangedMessage(DisplayScreenKind.Idle, DisplayStatus.None, 0, "\u001B]0;pwned\u0007", StateChangedMessage.Rendered), FrameOptions.AckRequested, 1);
        await SyncAsync(peer, 2);

        var records = _logger.Collector.GetSnapshot();
        Assert.Contains(records, r => r.Id.Name == "DisplayOnline");
        var log = Assert.Single(records, r => r.Id.Name == "DisplayDeviceLog");
        Assert.Contains(@"\x1B[2J\x0D\x0Ainfo: Bakong.Payments[2001]\x0D\x0A      Payment paid\x9B31m\u2028\u202E", log.Message, StringComparison.Ordinal);
        Assert.Contains(records, r => r.Id.Name == "DisplayStateChanged" && r.Message.Contains(@"\x1B]0;pwned\x07", StringComparison.Ordinal));
        Assert.All(records, r =>
        {
            AssertClean(r.Message);
            Assert.InRange(r.Message.Length, 1, 400);
            Assert.All(r.StructuredState ?? [], kv => Assert.InRange(kv.Value?.Length ?? 0, 0, DeviceText.MaxLength + 200));
        });

        // What health and `bakong display status` show comes from the same, already escaped, status.
        var status = Controller.Status;
        Assert.Equal(@"1.0\x1B[2J", status.FirmwareVersion);
        Assert.InRange(status.Serial!.Length, 1, DeviceText.MaxLength);
        Assert.EndsWith("…", status.Serial, StringComparison.Ordinal);
        Assert.All(new[] { status.FirmwareVersion, status.Model, status.Serial, status.DevicePaymentId }, s => AssertClean(s!));
        var health = await new DisplayHealthCheck(Controller).CheckHealthAsync(new HealthCheckContext(), Ct);
        AssertClean(health.Description!);
        Assert.All(health.Data.Values, v => AssertClean(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!));
        await link.StopAsync();
    }

    [Fact]
    public async Task A_flood_of_log_frames_logs_one_burst_then_says_so_once_counts_the_rest_and_logging_resumes_as_time_passes()
    {
        await using var link = PeerLink.Host(Host());
        var peer = link.Peer;
        await HandshakeAsync(peer, FirstBoot); // DisplayOnline: the first line of the budget

        await peer.SendAllAsync(Enumerable.Range(0, 10_000).Select(i => Frame(new LogMessage(1, "line " + i), FrameOptions.None, 0)));
        await SyncAsync(peer, 1);

        Assert.Equal(DeviceLogBudget.Burst, DeviceLines().Count);
        Assert.Equal(DeviceLogBudget.Burst - 1, DeviceLines().Count(r => r.Id.Name == "DisplayDeviceLog"));
        Assert.Equal("line 18", DeviceLines()[^1].GetStructuredStateValue("Text"));
        Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Name == "DisplayLogSuppressed");
        Assert.Equal(10_000 - (DeviceLogBudget.Burst - 1), SuppressedMetric());

        // One refill later: one line again (announced with the count), then the next is suppressed again.
        _clock.Advance(TimeSpan.FromMinutes(1) / DeviceLogBudget.PerMinute);
        await peer.SendAsync(new LogMessage(1, "after the pause"), FrameOptions.None, 0);
        await peer.SendAsync(new LogMessage(1, "one too many"), FrameOptions.None, 0);
        await SyncAsync(peer, 2);

        var resumed = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Name == "DisplayLogResumed");
        Assert.Equal((10_000 - (DeviceLogBudget.Burst - 1)).ToString(System.Globalization.CultureInfo.InvariantCulture), resumed.GetStructuredStateValue("Count"));
        Assert.Equal("after the pause", DeviceLines()[^1].GetStructuredStateValue("Text"));
        Assert.Equal(2, _logger.Collector.GetSnapshot().Count(r => r.Id.Name == "DisplayLogSuppressed"));
        Assert.Equal(10_000 - (DeviceLogBudget.Burst - 1) + 1, SuppressedMetric());
        await link.StopAsync();
    }

    [Fact]
    public async Task A_flood_of_boot_frames_is_acked_frame_by_frame_with_one_hello_one_burst_of_lines_and_one_whole_screen()
    {
        Controller.SetDesired(new QrScreen(Screens.Payment("pay-1", _clock.GetUtcNow().AddMinutes(5), "000201010212")));
        await using var link = PeerLink.Host(Host());
        var peer = link.Peer;
        await HandshakeAsync(peer, FirstBoot);

        // A device rebooting 10,000 times in a row (a new boot id each time) without answering the handshake.
        const int Boots = 10_000;
        await peer.SendAllAsync(Enumerable.Range(1, Boots).Select(i =>
            Frame(new BootMessage(FirstBoot + (uint)i, 1, "fw", "model"), FrameOptions.AckRequested, (byte)(1 + (i % 255)))));
        var sent = new List<WireFrame>();
        for (var acks = 0; acks < Boots;)
        {
            var frame = await peer.NextAsync();
            sent.Add(frame);
            acks += frame.Frame.MessageType == MessageType.Ack ? 1 : 0;
        }

        // The first BOOT starts one handshake; the others find it in flight and cost their ACK only. No screen is
        // sent to a device that has not answered HELLO.
        var hello = Assert.Single(sent, f => f.Frame.MessageType == MessageType.Hello);
        Assert.Equal(Boots, sent.Count - 1);
        await peer.RespondAsync(hello, new HelloAckMessage(1, 0, FirstBoot + Boots, 640, 1, "fw", "model", "serial"));
        var screen = await peer.NextAsync(MessageType.ShowQr);
        await peer.RespondAsync(screen, new AckMessage(AckResult.Ok, (byte)MessageType.ShowQr));
        await SyncAsync(peer, 1);

        Assert.Equal("pay-1", ((ShowQrMessage)screen.Message).PaymentId);
        Assert.False(peer.TryNext(out var more), "nothing more than one whole screen: " + more?.Frame.MessageType);

        // Lines the device caused: DisplayOnline, 10,000 × DisplayRebooted, DisplayOnline again. One burst is written.
        Assert.Equal(DeviceLogBudget.Burst, DeviceLines().Count);
        Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Name == "DisplayLogSuppressed");
        Assert.Equal(1 + Boots + 1 - DeviceLogBudget.Burst, SuppressedMetric());
        await link.StopAsync();
    }

    private HostLinkSession Host() => new(
        Controller,
        // A heartbeat and link timeout longer than the time the tests advance: no PING or silence gets in the way.
        new HostLinkOptions { Heartbeat = TimeSpan.FromSeconds(60), LinkTimeout = TimeSpan.FromSeconds(65) },
        _clock,
        _clock,
        _logger);

    /// <summary>The lines the device caused: everything but the budget's own notices.</summary>
    private List<FakeLogRecord> DeviceLines() =>
        [.. _logger.Collector.GetSnapshot().Where(r => r.Id.Name is not ("DisplayLogSuppressed" or "DisplayLogResumed"))];

    private long SuppressedMetric()
    {
        _suppressed.RecordObservableInstruments();
        var last = _suppressed.LastMeasurement!;
        Assert.Equal(Terminal, last.Tags["terminal.id"]);
        return last.Value;
    }

    private static async Task HandshakeAsync(ScriptedPeer peer, uint bootId)
    {
        var hello = await peer.NextAsync(MessageType.Hello);
        await peer.RespondAsync(hello, new HelloAckMessage(1, 0, bootId, 640, 1, "fw", "model", "serial"));
        var first = await peer.NextAsync();
        await peer.RespondAsync(first, new AckMessage(AckResult.Ok, first.Frame.Type));
    }

    /// <summary>
    /// Waits until the host has handled everything sent before: a LOG sent as a request is answered (UNKNOWN_TYPE) by the
    /// same loop, in order, and logs nothing.
    /// </summary>
    private static async Task SyncAsync(ScriptedPeer peer, byte seq)
    {
        await peer.SendAsync(new LogMessage(0, "sync"), FrameOptions.AckRequested, seq);
        WireFrame ack;
        do
        {
            ack = await peer.NextAsync(MessageType.Ack);
        }
        while (ack.Frame.Seq != seq || ((AckMessage)ack.Message).AckedType != (byte)MessageType.Log);
    }

    private static byte[] Frame(DisplayMessage message, FrameOptions options, byte seq) => FrameCodec.Encode(message.Type, options, seq, message.ToPayload());

    private static void AssertClean(string text) =>
        Assert.DoesNotContain(text, c => char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'));
}
