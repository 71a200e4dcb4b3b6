using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bakong.Display;

public static class DisplayServiceCollectionExtensions
{
    /// <summary>
    /// Registers the serial displays of <c>Displays:[{TerminalId, PortName, BaudRate, Dtr, ResultHold, IdleText}]</c>
    /// (validated at start): the <see cref="ConfiguredDisplays"/>, each showing its idle screen
    /// (<see cref="DisplayIdleOptions"/>) until told otherwise, read by <see cref="IDisplayStatusReader"/>; the service
    /// owning the ports; their metrics (meter <see cref="MeterName"/>); and a health check per display named
    /// <c>bakong.display.&lt;TerminalId&gt;</c> tagged <c>display</c>. What the displays show is up to the host (the
    /// gateway: Bakong.Display.Payments). Returns the terminal ids, for the host to map health services.
    /// </summary>
    public static IReadOnlyList<string> AddBakongDisplays(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(DisplaysOptions.Section);
        services.AddOptions<DisplaysOptions>().Configure(o => section.Bind(o.Displays));
        services.AddSingleton<IValidateOptions<DisplaysOptions>, DisplaysOptionsValidator>();
        services.AddOptions<DisplaysOptions>().ValidateOnStart();
        services.AddOptions<DisplayIdleOptions>();
        services.TryAddSingleton(sp => new DisplayClock(sp.GetRequiredService<TimeProvider>()));
        services.AddMetrics();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DisplaysOptions>>().Value;
            var idle = sp.GetRequiredService<IOptions<DisplayIdleOptions>>().Value;
            var displays = new ConfiguredDisplays(options.Displays.Select(d => new ConfiguredDisplay(d, idle.NameFor(d.TerminalId), idle.LanguageFor(d.TerminalId))));

            // The instruments observe the displays from their creation on (the meter factory owns them), so they exist
            // in every host that has the displays, with nothing for the host to start.
            _ = new DisplayMetrics(sp.GetRequiredService<IMeterFactory>(), displays);
            return displays;
        });
        services.AddSingleton<IDisplayStatusReader>(sp => sp.GetRequiredService<ConfiguredDisplays>());
        services.AddHostedService<DisplayService>();

        var terminalIds = section.GetChildren()
            .Select(c => c["TerminalId"])
            .Where(id => !string.IsNullOrWhiteSpace(id))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var health = services.AddHealthChecks();
        foreach (var id in terminalIds)
        {
            health.Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration(
                DisplayHealthCheck.NameOf(id!),
                sp => sp.GetRequiredService<ConfiguredDisplays>().Find(id!) is { } display
                    ? new DisplayHealthCheck(display.Controller)
                    : throw new InvalidOperationException("No display for terminal " + id),
                failureStatus: null,
                tags: [DisplayHealthCheck.Tag]));
        }

        return terminalIds!;
    }

    /// <summary>The name of the display meter (<c>bakong.display.link.up</c>, <c>bakong.display.log.suppressed</c>), for the host's metrics to listen to.</summary>
    public const string MeterName = DisplayMetrics.MeterName;
}
