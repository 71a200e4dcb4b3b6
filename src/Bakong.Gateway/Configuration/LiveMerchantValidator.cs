using Bakong.OpenApi.Client;
using Bakong.Payments.Configuration;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Configuration;

/// <summary>
/// Outside Sandbox every QR pays its profile's <c>BakongAccountId</c> for real: the demo account appsettings.json ships
/// is refused at start in every profile, so a gateway switched to Sit or Production never hands out QRs that pay someone
/// else's account. (An empty account is refused in every mode, by <see cref="MerchantProfilesValidator"/>.)
/// </summary>
internal sealed class LiveMerchantValidator(BakongEnvironment environment) : IValidateOptions<MerchantProfiles>
{
    /// <summary>The <c>Merchant:BakongAccountId</c> of appsettings.json: the sandbox's demo shop.</summary>
    public const string DemoAccount = "demo_shop@devb";

    public ValidateOptionsResult Validate(string? name, MerchantProfiles options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (environment == BakongEnvironment.Sandbox)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = options.Profiles
            .Where(p => string.Equals(p.BakongAccountId?.Trim(), DemoAccount, StringComparison.OrdinalIgnoreCase))
            .Select(p => $"{p.ConfigurationKey}:BakongAccountId is the demo account {DemoAccount}: with Bakong:Mode={environment}, set your own receiving Bakong account (name@bank).")
            .ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
