using Bakong.Payments.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Tests.Profiles;

/// <summary>The <c>Merchants</c> list as the gateway reads and checks it at start: every error names its key.</summary>
public sealed class MerchantProfilesConfigurationTests
{
    private static readonly Dictionary<string, string?> s_twoProfiles = new()
    {
        ["Merchants:0:Id"] = "market",
        ["Merchants:0:BakongAccountId"] = "sokha_market@aclb",
        ["Merchants:0:Name"] = "Sokha Market",
        ["Merchants:0:Terminals:0"] = "POS-A1",
        ["Merchants:0:Terminals:1"] = "POS-A2",
        ["Merchants:1:Id"] = "cafe",
        ["Merchants:1:Type"] = "merchant",
        ["Merchants:1:BakongAccountId"] = "riverside_cafe@abaa",
        ["Merchants:1:MerchantId"] = "RC-0001",
        ["Merchants:1:AcquiringBank"] = "ABA Bank",
        ["Merchants:1:Name"] = "Riverside Cafe",
        ["Merchants:1:Terminals:0"] = "POS-B1",
    };

    [Fact]
    public void The_single_merchant_section_of_earlier_versions_is_one_profile_named_default_serving_every_terminal()
    {
        var profiles = Read(new()
        {
            ["Merchant:BakongAccountId"] = "shop@aclb",
            ["Merchant:Name"] = "Corner Shop",
            ["Merchant:DefaultCurrency"] = "USD",
        });

        var profile = Assert.Single(profiles.Profiles);
        Assert.Equal("default", profile.Id);
        Assert.Equal("Merchant", profile.ConfigurationKey);
        Assert.Equal("USD", profile.DefaultCurrency);
        Assert.Same(profile, profiles.ForTerminal("any-terminal"));
        Assert.Equal(["shop@aclb"], profiles.Accounts);
    }

    [Fact]
    public void Merchants_wins_over_the_single_merchant_section_which_appsettings_json_ships()
    {
        var settings = new Dictionary<string, string?>(s_twoProfiles)
        {
            ["Merchant:BakongAccountId"] = "demo_shop@devb",
            ["Merchant:Name"] = "Demo Shop",
        };

        var profiles = Read(settings);

        Assert.Equal(["market", "cafe"], profiles.Profiles.Select(p => p.Id));
        Assert.Equal("Merchants:1", profiles.Profiles[1].ConfigurationKey);
        Assert.Equal("cafe", profiles.ForTerminal("POS-B1")?.Id);
        Assert.Equal("market", profiles.ForTerminal("POS-A2")?.Id);
        Assert.Null(profiles.ForTerminal("POS-Z9"));
        Assert.True(profiles.Profiles[1].IsMerchantQr);
        Assert.False(profiles.Profiles[0].IsMerchantQr);
    }

    [Theory]
    [InlineData("Merchants:1:Id", "market", "Merchants:1:Id: the id market is already Merchants:0's")]
    [InlineData("Merchants:1:Id", "caf\u00e9", "Merchants:1:Id: only the characters")]
    [InlineData("Merchants:1:Terminals:0", "POS-A2", "Merchants:1:Terminals:0: terminal POS-A2 is already served by Merchants:0:Terminals:1")]
    [InlineData("Merchants:0:Terminals:1", "POS A2", "Merchants:0:Terminals:1: only the characters")]
    [InlineData("Merchants:1:BakongAccountId", "riverside", "Merchants:1:BakongAccountId must look like name@bank")]
    [InlineData("Merchants:1:AcquiringBank", "", "Merchants:1:AcquiringBank is required for a merchant QR")]
    [InlineData("Merchants:1:Type", "shop", "Merchants:1:Type must be individual (tag 29) or merchant (tag 30)")]
    [InlineData("Merchants:0:Language", "fr", "Merchants:0:Language must be en or km")]
    [InlineData("Merchants:0:DefaultCurrency", "EUR", "Merchants:0:DefaultCurrency must be KHR or USD")]
    [InlineData("Merchants:0:NameKhmer", "ផ្សារសុខាផ្សារសុខាផ្សារសុខា", "Merchants:0:NameKhmer: merchantNameAlternateLanguage: Merchant Name Alternate Language Length is invalid (KHQR error 40)")]
    [InlineData("Merchants:0:CategoryCode", "59a9", "Merchants:0:CategoryCode: merchantCategoryCode: Invalid merchant category code (KHQR error 51)")]
    [InlineData("Merchants:0:MobileNumber", "12345678901234567890123456", "Merchants:0:MobileNumber: mobileNumber: Mobile Number Length is invalid (KHQR error 34)")]
    [InlineData("Merchants:0:UpiAccount", "", "")]
    [InlineData("Merchants:1:Name", "Riverside Cafe and Bakery Shop", "Merchants:1:Name: merchantName: Merchant Name Length is invalid (KHQR error 7)")]
    public void A_bad_profile_setting_stops_the_start_naming_its_key(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?>(s_twoProfiles) { [key] = value };

        var result = new MerchantProfilesValidator().Validate(null, Read(settings));

        if (expected.Length == 0)
        {
            Assert.True(result.Succeeded, result.FailureMessage);
            return;
        }

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Only_one_profile_may_leave_its_terminal_list_empty()
    {
        var settings = new Dictionary<string, string?>(s_twoProfiles);
        settings.Remove("Merchants:0:Terminals:0");
        settings.Remove("Merchants:0:Terminals:1");
        settings.Remove("Merchants:1:Terminals:0");

        var result = new MerchantProfilesValidator().Validate(null, Read(settings));

        Assert.Equal(
            "Merchants:1:Terminals: only one merchant profile may leave its terminal list empty (to serve every terminal not listed elsewhere), and Merchants:0 does.",
            Assert.Single(result.Failures!));
    }

    [Fact]
    public void A_merchant_account_template_over_99_characters_names_the_profile_settings_that_fill_it()
    {
        var settings = new Dictionary<string, string?>(s_twoProfiles)
        {
            ["Merchants:1:BakongAccountId"] = new string('r', 27) + "@abaa",
            ["Merchants:1:MerchantId"] = new string('m', 32),
            ["Merchants:1:AcquiringBank"] = new string('b', 32),
        };

        var failure = Assert.Single(new MerchantProfilesValidator().Validate(null, Read(settings)).Failures!);

        Assert.StartsWith("Merchants:1:BakongAccountId/AccountInformation/MerchantId/AcquiringBank: tag 30: KHQR provided is invalid (KHQR error 8)", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_payments_registration_validates_the_profiles_at_start()
    {
        var settings = new Dictionary<string, string?>(s_twoProfiles) { ["Merchants:1:Terminals:0"] = "POS-A1" };
        using var provider = new ServiceCollection()
            .AddLogging()
            .AddBakongPayments(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MerchantProfiles>>().Value);

        Assert.Contains("Merchants:1:Terminals:0: terminal POS-A1 is already served by Merchants:0:Terminals:0", e.Message, StringComparison.Ordinal);
    }

    private static MerchantProfiles Read(Dictionary<string, string?> settings)
    {
        var profiles = new MerchantProfiles();
        MerchantProfiles.Load(profiles, new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return profiles;
    }
}
