using Bakong.OpenApi.Client;
using Bakong.Payments.Configuration;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Configuration;

/// <summary>
/// Outside Sandbox every QR pays <c>Merchant:BakongAccountId</c> for real: the demo account appsettings.json ships is
/// refused at start, so a gateway switched to Sit or Production never hands out QRs that pay someone else's account.
/// (An empty account is refused in every mode, by <see cref="MerchantOptions"/> itself.)
/// </summary>
internal sealed class LiveMerchantValidator(BakongEnvironment environment) : IValidateOptions<MerchantOptions>
{
    /// <summary>The <c>Merchant:BakongAccountId</c> of appsettings.json: the sandbox's demo shop.</summary>
    public const string DemoAccount = "demo_shop@devb";

    public ValidateOptionsResult Validate(string? name, MerchantOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (environment == BakongEnvironment.Sandbox || !string.Equals(options.BakongAccountId?.Trim(), DemoAccount, StringComparison.OrdinalIgnoreCase))
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            $"Merchant:BakongAccountId is the demo account {DemoAccount}: with Bakong:Mode={environment}, set your own receiving Bakong account (name@bank).");
    }
}
