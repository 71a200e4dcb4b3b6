using Bakong.Display.Link;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bakong.Display;

/// <summary>
/// One display's link as a health check, named <c>bakong.display.&lt;TerminalId&gt;</c> and tagged <see cref="Tag"/>:
/// healthy when online, unhealthy otherwise. Payments do not depend on it (the gateway keeps it out of its own
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

        var description = s.State + (s.LastError is { } e ? ": " + e : "");
        return Task.FromResult(s.State == DisplayLinkState.Online
            ? HealthCheckResult.Healthy(description, data)
            : HealthCheckResult.Unhealthy(description, data: data));
    }
}
