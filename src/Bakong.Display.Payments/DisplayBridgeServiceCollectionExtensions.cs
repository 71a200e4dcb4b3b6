using Bakong.Display.Protocol;
using Bakong.Payments;
using Bakong.Payments.Configuration;
using Bakong.Payments.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Display.Payments;

public static class DisplayBridgeServiceCollectionExtensions
{
    /// <summary>
    /// Makes the displays that <see cref="DisplayServiceCollectionExtensions.AddBakongDisplays"/> registered show their
    /// terminals' payments: the bridge as one more <see cref="IPaymentChangeSink"/> (and <see cref="IReplicaChangeSink"/>, for
    /// what other gateways on a shared database save); the merchant profile that serves a
    /// display's terminal gives its language (sent to the display after every handshake) and its name in that language
    /// (<see cref="MerchantProfile.NameIn"/>) as the idle screen's first line (and on its QR and result screens); the
    /// payments' limit on <c>Displays:N:TerminalId</c>, checked at start; and the payment store as the displays'
    /// <see cref="IDisplayOutcomeSource"/>.
    /// </summary>
    public static IServiceCollection AddDisplayBridge(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<DisplaysOptions>, DisplayTerminalIdValidator>();
        services.AddOptions<DisplayIdleOptions>().Configure<IOptions<MerchantProfiles>>((idle, merchants) =>
        {
            // The shop's name in the profile's display language, and that language; English when no profile serves.
            var profiles = merchants.Value;
            idle.MerchantName = profiles.Default?.NameIn(profiles.Default.Language) ?? "";
            idle.MerchantNameOf = terminalId => profiles.ForTerminal(terminalId) is { } p ? p.NameIn(p.Language) : null;
            idle.Language = LanguageOf(profiles.Default);
            idle.LanguageOf = terminalId => LanguageOf(profiles.ForTerminal(terminalId));
        });
        services.AddSingleton(sp =>
        {
            var clock = sp.GetRequiredService<DisplayClock>().Time;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Bakong.Display");
            return new DisplayBridge(
                sp.GetRequiredService<ConfiguredDisplays>().All.Select(d => new DisplayTerminal(d, clock, logger)).ToList(),
                sp.GetRequiredService<IPaymentStore>(),
                logger,
                sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<IPaymentChangeSink>(sp => sp.GetRequiredService<DisplayBridge>());
        services.AddSingleton<IReplicaChangeSink>(sp => sp.GetRequiredService<DisplayBridge>());
        services.AddSingleton<IDisplayOutcomeSource, DisplayOutcomes>(); // SPEC.md §10.3: a display's local expiry asks the store
        return services;
    }

    private static DisplayLanguage LanguageOf(MerchantProfile? profile) =>
        profile?.Language == MerchantProfile.Khmer ? DisplayLanguage.Khmer : DisplayLanguage.English;
}
