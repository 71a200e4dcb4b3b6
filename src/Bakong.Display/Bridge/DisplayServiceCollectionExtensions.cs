using Bakong.Payments;
using Bakong.Payments.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Display;

public static class DisplayServiceCollectionExtensions
{
    /// <summary>
    /// Registers the serial displays of <c>Displays:[{TerminalId, PortName, BaudRate, Dtr, ResultHold, IdleText}]</c>
    /// (validated at start): the bridge as one more <see cref="IPaymentChangeSink"/>, the service owning the ports, and
    /// a health check per display named <c>bakong.display.&lt;TerminalId&gt;</c> tagged <c>display</c>. Returns the
    /// terminal ids, for the host to map health services.
    /// </summary>
    public static IReadOnlyList<string> AddBakongDisplays(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(DisplaysOptions.Section);
        services.AddOptions<DisplaysOptions>().Configure(o => section.Bind(o.Displays));
        services.AddSingleton<IValidateOptions<DisplaysOptions>, DisplaysOptionsValidator>();
        services.AddOptions<DisplaysOptions>().ValidateOnStart();
        services.TryAddSingleton(sp => new DisplayClock(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DisplaysOptions>>().Value;
            var merchant = sp.GetRequiredService<IOptions<MerchantOptions>>().Value.Name;
            var clock = sp.GetRequiredService<DisplayClock>().Time;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Bakong.Display");
            return new DisplayBridge(options.Displays.Select(d => new DisplayTerminal(d, merchant, clock, logger)).ToList());
        });
        services.AddSingleton<IPaymentChangeSink>(sp => sp.GetRequiredService<DisplayBridge>());
        services.AddHostedService<DisplayService>();
        services.AddMetrics();
        services.AddSingleton<DisplayMetrics>();

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
                sp => sp.GetRequiredService<DisplayBridge>().TryGet(id!, out var t)
                    ? new DisplayHealthCheck(t.Controller)
                    : throw new InvalidOperationException("No display for terminal " + id),
                failureStatus: null,
                tags: [DisplayHealthCheck.Tag]));
        }

        return terminalIds!;
    }

    /// <summary>The name of the display meter (<c>bakong.display.link.up</c>, <c>bakong.display.log.suppressed</c>), for the host's metrics to listen to.</summary>
    public const string MeterName = DisplayMetrics.MeterName;

    /// <summary>Creates the display instruments (the gauge observes the displays from then on).</summary>
    public static void StartDisplayMetrics(this IServiceProvider services) => services.GetRequiredService<DisplayMetrics>();

    /// <summary>The controller of the display bound to <paramref name="terminalId"/> (its desired screen and link status), or null.</summary>
    public static Link.DisplayController? FindDisplay(this IServiceProvider services, string terminalId) =>
        services.GetRequiredService<DisplayBridge>().TryGet(terminalId, out var terminal) ? terminal.Controller : null;

    /// <summary>The link status of every configured display, by terminal id (for the gateway's status RPC).</summary>
    public static IReadOnlyList<(string TerminalId, string PortName, Link.DisplayLinkStatus Status)> DisplayStatuses(this IServiceProvider services) =>
        services.GetRequiredService<DisplayBridge>().Terminals
            .Select(t => (t.Options.TerminalId, t.Options.PortName, t.Controller.Status))
            .ToList();
}
