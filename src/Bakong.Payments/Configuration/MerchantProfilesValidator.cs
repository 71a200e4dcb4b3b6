using System.Text.RegularExpressions;
using Bakong.Khqr;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Configuration;

/// <summary>
/// Checks the merchant profiles at start, every error naming the configuration key at fault
/// (<c>Merchants:1:Terminals:0</c>, <c>Merchant:BakongAccountId</c>): ids unique, every terminal served by one profile
/// only, at most one profile without a terminal list, and each profile's KHQR fields as the KHQR library checks them
/// (its error code and message), so a profile no QR can be made of never starts serving.
/// </summary>
internal sealed partial class MerchantProfilesValidator : IValidateOptions<MerchantProfiles>
{
    // A static QR never reads the clock: the check at start is the generator's own validation, nothing more.
    private static readonly KhqrGenerator s_generator = new(TimeProvider.System);

    public ValidateOptionsResult Validate(string? name, MerchantProfiles options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Profiles.Count == 0)
        {
            errors.Add("Merchants: at least one merchant profile is required (or the single Merchant section).");
        }

        var ids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var terminals = new Dictionary<string, string>(StringComparer.Ordinal);
        string? servesTheRest = null;
        foreach (var profile in options.Profiles)
        {
            var key = profile.ConfigurationKey;
            if (Identifier.Check(profile.Id, key + ":Id", MerchantProfile.MaxIdLength) is { } badId)
            {
                errors.Add(badId.Field + ": " + badId.Description + ".");
            }
            else if (!ids.TryAdd(profile.Id, key))
            {
                errors.Add($"{key}:Id: the id {profile.Id} is already {ids[profile.Id]}'s; every merchant profile needs its own.");
            }

            if (profile.Terminals.Count == 0)
            {
                if (servesTheRest is not null)
                {
                    errors.Add($"{key}:Terminals: only one merchant profile may leave its terminal list empty (to serve every terminal not listed elsewhere), and {servesTheRest} does.");
                }

                servesTheRest ??= key;
            }

            for (var i = 0; i < profile.Terminals.Count; i++)
            {
                var terminalKey = $"{key}:Terminals:{i}";
                var terminal = profile.Terminals[i];
                if (Identifier.Check(terminal, terminalKey, PaymentLimits.TerminalId) is { } badTerminal)
                {
                    errors.Add(badTerminal.Field + ": " + badTerminal.Description + ".");
                }
                else if (!terminals.TryAdd(terminal, terminalKey))
                {
                    errors.Add($"{terminalKey}: terminal {terminal} is already served by {terminals[terminal]}; a terminal belongs to one merchant profile.");
                }
            }

            Fields(profile, key, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Fields(MerchantProfile profile, string key, List<string> errors)
    {
        var before = errors.Count;
        if (string.IsNullOrWhiteSpace(profile.BakongAccountId))
        {
            errors.Add($"{key}:BakongAccountId is required: the receiving Bakong account (name@bank) every QR pays.");
        }
        else if (!AccountPattern().IsMatch(profile.BakongAccountId))
        {
            errors.Add($"{key}:BakongAccountId must look like name@bank.");
        }

        var type = profile.Type;
        if (!string.IsNullOrEmpty(type) && !type.Equals("individual", StringComparison.OrdinalIgnoreCase) && !type.Equals("merchant", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{key}:Type must be individual (tag 29) or merchant (tag 30).");
            return;
        }

        if (!profile.IsMerchantQr && !string.IsNullOrEmpty(profile.MerchantId))
        {
            errors.Add($"{key}:MerchantId is for merchant QRs only; remove it or set {key}:Type to merchant.");
        }

        if (profile.IsMerchantQr && !string.IsNullOrEmpty(profile.AccountInformation))
        {
            errors.Add($"{key}:AccountInformation is for individual QRs only; remove it or {key}:MerchantId.");
        }

        if (profile.IsMerchantQr && string.IsNullOrEmpty(profile.AcquiringBank))
        {
            errors.Add($"{key}:AcquiringBank is required for a merchant QR (tag 30).");
        }

        if (profile.DefaultCurrency is not ("KHR" or "USD"))
        {
            errors.Add($"{key}:DefaultCurrency must be KHR or USD.");
        }

        if (profile.Language is not ("en" or "km"))
        {
            errors.Add($"{key}:Language must be en or km.");
        }

        if (errors.Count > before)
        {
            return;
        }

        // Everything else is the KHQR library's to judge (lengths, the merchant category code, tag 64, the templates'
        // 99 characters), in riel so that a UnionPay account is included; its first error names the setting.
        var khqr = profile.KhqrTemplate(KhqrCurrency.Khr) with { BillNumber = new string('0', 24) };
        var generated = s_generator.Generate(khqr);
        if (!generated.IsSuccess)
        {
            errors.Add($"{key}:{SettingOf(generated.Error.Field)}: {generated.Error}.");
        }
    }

    /// <summary>The profile setting a KHQR field comes from (the library names fields as the SDK does).</summary>
    private static string SettingOf(string? khqrField) => khqrField switch
    {
        "bakongAccountID" => nameof(MerchantProfile.BakongAccountId),
        "merchantName" => nameof(MerchantProfile.Name),
        "merchantCity" => nameof(MerchantProfile.City),
        "merchantID" => nameof(MerchantProfile.MerchantId),
        "acquiringBank" => nameof(MerchantProfile.AcquiringBank),
        "accountInformation" => nameof(MerchantProfile.AccountInformation),
        "merchantCategoryCode" => nameof(MerchantProfile.CategoryCode),
        "mobileNumber" => nameof(MerchantProfile.MobileNumber),
        "storeLabel" => nameof(MerchantProfile.StoreLabel),
        "upiMerchantAccount" => nameof(MerchantProfile.UpiAccount),
        "merchantNameAlternateLanguage" or "languagePreference" => nameof(MerchantProfile.NameKhmer),
        "merchantCityAlternateLanguage" => nameof(MerchantProfile.CityKhmer),
        "tag 29" or "tag 30" => nameof(MerchantProfile.BakongAccountId) + "/" + nameof(MerchantProfile.AccountInformation) + "/" + nameof(MerchantProfile.MerchantId) + "/" + nameof(MerchantProfile.AcquiringBank),
        "tag 62" => nameof(MerchantProfile.MobileNumber) + "/" + nameof(MerchantProfile.StoreLabel),
        "tag 64" => nameof(MerchantProfile.NameKhmer) + "/" + nameof(MerchantProfile.CityKhmer),
        _ => khqrField ?? "*",
    };

    [GeneratedRegex("^[^@\\s]+@[^@\\s]+$")]
    private static partial Regex AccountPattern();
}
