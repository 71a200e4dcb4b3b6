using Bakong.Payments;
using Bakong.Payments.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Display.Payments;

public static class DisplayBridgeServiceCollectionExtensions
{
    /// <summary>
    /// Makes the displays that <see cref="DisplayServiceCollectionExtensions.AddBakongDisplays"/> registered show their
    /// terminals' payments: the bridge as one more <see cref="IPaymentChangeSink"/> (and <see cref="IReplicaChangeSink"/>, for
    /// what other gateways on a shared database save), <c>Merchant:Name</c> as the idle
    /// screen's first line, the payments' limit on <c>Displays:N:TerminalId</c>, checked at start, and the payment store
    /// as the displays' <see cref="IDisplayOutcomeSource"/>.
    /// </summary>
    public static IServiceCollection AddDisplayBridge(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<DisplaysOptions>, DisplayTerminalIdValidator>();
        services.AddOptions<DisplayIdleOptions>().Configure<IOptions<MerchantOptions>>((idle, merchant) => idle.MerchantName = merchant.Value.Name);
        services.AddSingleton(sp =>
        {
            var clock = sp.GetRequiredService<DisplayClock>().Time;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Bakong.Display");
            return new DisplayBridge(sp.GetRequiredService<ConfiguredDisplays>().All.Select(d => new DisplayTerminal(d, clock, logger)).ToList());
        });
        services.AddSingleton<IPaymentChangeSink>(sp => sp.GetRequiredService<DisplayBridge>());
        services.AddSingleton<IReplicaChangeSink>(sp => sp.GetRequiredService<DisplayBridge>());
        services.AddSingleton<IDisplayOutcomeSource, DisplayOutcomes>(); // SPEC.md §10.3: a display's local expiry asks the store
        return services;
    }
}
