using System.Diagnostics.Metrics;
using Bakong.Display.Link;

namespace Bakong.Display;

/// <summary>
/// <c>bakong.display.link.up</c>: per configured display (tag <c>terminal.id</c>), 1 while its device is online (it
/// answered the handshake and keeps answering), 0 otherwise. Observed from the controllers' link status at each
/// collection, so it can never disagree with health or <c>bakong display status</c>.
/// <c>bakong.display.log.suppressed</c>: per display, the lines it made the host log past its budget (dropped, see
/// <see cref="DeviceLogBudget"/>).
/// <c>bakong.display.frames.dropped</c>: per display and reason (tag <c>reason</c>), the frames from the device the host's
/// decoder dropped (SPEC.md §12).
/// </summary>
internal sealed class DisplayMetrics
{
    /// <summary>The meter of the display instruments; the gateway's metrics listen to it.</summary>
    public const string MeterName = "Bakong.Display";

    public DisplayMetrics(IMeterFactory meterFactory, ConfiguredDisplays displays)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(displays);
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge(
            "bakong.display.link.up",
            () => displays.All.Select(d => new Measurement<int>(
                d.Controller.Status.State == DisplayLinkState.Online ? 1 : 0,
                new KeyValuePair<string, object?>("terminal.id", d.Options.TerminalId))),
            unit: "{link}",
            description: "1 while the serial display of a terminal is connected and answering, 0 while it is not.");
        meter.CreateObservableCounter(
            "bakong.display.log.suppressed",
            () => displays.All.Select(d => new Measurement<long>(
                d.Controller.LogBudget.Suppressed,
                new KeyValuePair<string, object?>("terminal.id", d.Options.TerminalId))),
            unit: "{line}",
            description: "Log lines a serial display caused past its budget (a burst, then a few a minute), dropped rather than written.");
        meter.CreateObservableCounter(
            "bakong.display.frames.dropped",
            () => displays.All.SelectMany(d => Enum.GetValues<Protocol.FrameError>().Select(reason => new Measurement<long>(
                d.Controller.Status.Drops[reason],
                new KeyValuePair<string, object?>("terminal.id", d.Options.TerminalId),
                new KeyValuePair<string, object?>("reason", FrameDrops.LabelOf(reason))))),
            unit: "{frame}",
            description: "Frames from a serial display the gateway dropped, by reason (SPEC.md section 12): cobs_invalid, too_short, length_mismatch, bad_crc, too_long.");
    }
}
