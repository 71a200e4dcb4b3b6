using Bakong.Payments.Creation;
using Bakong.Payments.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Tests;

public sealed class ServiceRegistrationTests
{
    [Fact]
    public void A_valid_configuration_resolves_the_store_and_the_use_cases()
    {
        using var dir = new TempDirectory();
        using (var provider = Build(new()
        {
            ["Storage:Path"] = dir.File("db/bakong.db"),
            ["Merchant:BakongAccountId"] = "shop@aclb",
            ["Merchant:Name"] = "Corner Shop",
        }))
        {
            Assert.IsType<LiteDbPaymentStore>(provider.GetRequiredService<IPaymentStore>());
            Assert.NotNull(provider.GetRequiredService<PaymentCreation>());
            Assert.True(File.Exists(dir.File("db/bakong.db.lock")));
        }
    }

    [Fact]
    public void Bad_merchant_and_expiry_settings_fail_validation_with_clear_messages()
    {
        using var provider = Build(new()
        {
            ["Merchant:BakongAccountId"] = "no-at-sign",
            ["Merchant:Name"] = "Corner Shop",
            ["Merchant:MerchantId"] = "M1",
            ["Payments:DefaultExpiry"] = "00:09:00",
            ["Payments:MaxExpiry"] = "00:08:00",
        });

        var merchant = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<Bakong.Payments.Configuration.MerchantProfiles>>().Value);
        Assert.Contains("name@bank", merchant.Message, StringComparison.Ordinal);
        Assert.Contains("AcquiringBank", merchant.Message, StringComparison.Ordinal);
        var payments = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<Bakong.Payments.Configuration.PaymentOptions>>().Value);
        Assert.Contains("DefaultExpiry", payments.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Payments:MaxAmountKhr", "0")]
    [InlineData("Payments:MaxAmountKhr", "100.5")]
    [InlineData("Payments:MaxAmountUsd", "10.001")]
    [InlineData("Payments:MaxAmountUsd", "100000000000000")]
    public void An_amount_ceiling_that_is_not_money_a_khqr_can_carry_fails_validation_naming_it(string key, string value)
    {
        using var provider = Build(new()
        {
            ["Merchant:BakongAccountId"] = "shop@bank",
            ["Merchant:Name"] = "Corner Shop",
            [key] = value,
        });

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<Bakong.Payments.Configuration.PaymentOptions>>().Value);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddBakongPayments(configuration);
        return services.BuildServiceProvider();
    }
}
