using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Display.Tests.Link;

/// <summary>
/// A display is untrusted input: what it writes reaches the log, health and <c>bakong display status</c> escaped and
/// bounded. The device here is a scripted peer on an in-memory stream; the host session runs on a fake clock.
/// </summary>
public sealed class UntrustedDeviceTests
{
    private const string Terminal = "POS-01";
    private const uint FirstBoot = 0x1000;

    // A terminal-clearing escape, a forged gateway log line after CR LF, C1 CSI, a line separator and a bidi override.
    private const string Hostile = "\u001B[2J\r\ninfo: Bakong.Payments[2001]\r\n      Payment paid\u009B31m\u2028\u202E";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger _logger = new();
    private readonly DisplayTerminal _terminal;

    public UntrustedDeviceTests()
    {
        _terminal = new DisplayTerminal(new DisplayPortOptions { TerminalId = Terminal, PortName = "/dev/null" }, "Coffee", _clock, NullLogger.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DisplayController Controller => _terminal.Controller;

    [Fact]
    public async Task Control_characters_and_forged_lines_from_a_device_reach_the_log_and_status_escaped_and_bounded()
    {
        var (host, peerStream) = DuplexStream.CreatePair();
        await using var peer = new ScriptedPeer(peerStream);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = Host().RunAsync(host, stop.Token);

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
        await stop.CancelAsync();
        await run;
    }

    private HostLinkSession Host() => new(
        Controller,
        // A heartbeat and link timeout longer than the time the tests advance: no PING or silence gets in the way.
        new HostLinkOptions { Heartbeat = TimeSpan.FromSeconds(60), LinkTimeout = TimeSpan.FromSeconds(65) },
        _clock,
        _clock,
        _logger);

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

    private static void AssertClean(string text) =>
        Assert.DoesNotContain(text, c => char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'));
}
