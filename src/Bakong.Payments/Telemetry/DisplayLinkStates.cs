using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Bakong.Payments.Telemetry;

/// <summary>
/// The hook for the serial displays' link state: whoever runs a display's session calls <see cref="Set"/> when its link
/// comes up or goes down, and the observable gauge <c>bakong.display.link.up</c> (meter <c>Bakong.Display</c>, tag
/// <c>terminal.id</c>) reports 1 or 0 per display at every collection. Registered by <c>AddBakongPayments</c>.
/// </summary>
public sealed class DisplayLinkStates
{
    /// <summary>The meter of the display instruments; the gateway's metrics listen to it.</summary>
    public const string MeterName = "Bakong.Display";

    private readonly ConcurrentDictionary<string, bool> _links = new(StringComparer.Ordinal);

    public DisplayLinkStates(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        meterFactory.Create(MeterName).CreateObservableGauge(
            "bakong.display.link.up",
            Observe,
            unit: "{link}",
            description: "1 while the serial display of a terminal is connected and answering, 0 while it is not.");
    }

    /// <summary>Records the link of <paramref name="terminalId"/>'s display as up or down.</summary>
    public void Set(string terminalId, bool up)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(terminalId);
        _links[terminalId] = up;
    }

    /// <summary>Stops reporting <paramref name="terminalId"/>'s display (it was removed from the configuration).</summary>
    public void Remove(string terminalId) => _links.TryRemove(terminalId, out _);

    private IEnumerable<Measurement<int>> Observe()
    {
        foreach (var (terminal, up) in _links)
        {
            yield return new Measurement<int>(up ? 1 : 0, new KeyValuePair<string, object?>("terminal.id", terminal));
        }
    }
}
