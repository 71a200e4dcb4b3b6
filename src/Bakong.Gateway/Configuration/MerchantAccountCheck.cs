using Bakong.OpenApi.Client;
using Bakong.Payments.Configuration;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Configuration;

/// <summary>
/// In Sit and Production, asks Bakong (<c>check_bakong_account</c>) whether every merchant profile's
/// <c>BakongAccountId</c> exists before the gateway serves: a typo in a receiving account would hand out QRs no bank
/// app can pay, or pay nobody the shop knows. Bakong saying one does not exist (or is not a valid id) stops the start,
/// naming the setting; Bakong not answering (offline, geo-blocked, a fault) is a warning only, so a shop can open while
/// Bakong is unreachable. Each distinct account is asked once, one after the other, each bounded by
/// <c>Bakong:OpenApi:TotalTimeout</c> (10 s by default).
/// </summary>
internal static class MerchantAccountCheck
{
    /// <exception cref="OptionsValidationException">Bakong says an account does not exist or is not valid.</exception>
    public static async Task RunAsync(IServiceProvider services, GatewayBakongOptions bakong, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(bakong);
        if (bakong.Environment == BakongEnvironment.Sandbox)
        {
            return;
        }

        var profiles = services.GetRequiredService<IOptions<MerchantProfiles>>().Value.Profiles;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Bakong.Gateway");
        var client = services.GetRequiredService<IBakongClient>();
        var errors = new List<string>();
        foreach (var group in profiles.GroupBy(p => p.BakongAccountId.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            var account = group.Key;
            var result = await client.CheckBakongAccountAsync(account, cancellationToken).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                // Bakong's own words stay out of the line: the fault's kind is ours, the message may be anything it sent.
                NetworkLog.MerchantAccountNotChecked(logger, account, bakong.Environment, result.Fault?.Kind.ToString() ?? "an unexpected answer");
                continue;
            }

            if (result.Value.State != BakongAccountState.Exists)
            {
                var what = result.Value.State == BakongAccountState.NotFound ? "does not exist" : "is not a valid account id";
                errors.AddRange(group.Select(p =>
                    $"{p.ConfigurationKey}:BakongAccountId {account} {what} at Bakong {bakong.Environment} (check_bakong_account): set the shop's own receiving Bakong account (name@bank)."));
                continue;
            }

            NetworkLog.MerchantAccountChecked(logger, account, bakong.Environment);
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(MerchantProfiles), errors);
        }
    }
}
