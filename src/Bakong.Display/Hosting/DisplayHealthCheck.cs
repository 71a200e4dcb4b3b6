using Bakong.Display.Link;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bakong.Display;

/// <summary>
/// One display's link as a health check, named <c>bakong.display.&lt;TerminalId&gt;</c> and tagged <see cref="Tag"/>:
/// healthy when online and fully driven, unhealthy otherwise (offline, or a problem such as a missing or wrong QR key, or
/// an MTU too small for the QR). Payments do not depend on it (the gateway keeps it out of its own
/// readiness): a dead display never stops a sale.
/// </summary>
public sealed class DisplayHealthCheck(DisplayController controller) : IHealthCheck
{
    public const string Tag = "display";

    public static string NameOf(string terminalId) => "bakong.display." + terminalId;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var s = controller.Status;
        var data = new Dictionary<string, object>
        {
            ["state"] = s.State.ToString(),
            ["retransmits"] = s.Retransmits,
            ["framesDropped"] = s.FramesDropped,
            ["framesDroppedByReason"] = Enum.GetValues<Protocol.FrameError>().ToDictionary(FrameDrops.LabelOf, r => s.Drops[r]),
            ["reconnects"] = s.Reconnects,
        };
        if (s.BootId is { } boot)
        {
            data["bootId"] = boot.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (s.FirmwareVersion is { } fw)
        {
            data["firmware"] = fw;
        }

        if (s.LastAckTime is { } ack)
        {
            data["lastAck"] = ack;
        }

        if (s.ProtocolMinor is { } minor)
        {
            data["protocol"] = "1." + minor.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var description = s.State + ((s.Problem ?? s.LastError) is { } why ? ": " + why : "");
        return Task.FromResult(s.State == DisplayLinkState.Online && s.Problem is null
            ? HealthCheckResult.Healthy(description, data)
            : HealthCheckResult.Unhealthy(description, data: data));
    }
}
