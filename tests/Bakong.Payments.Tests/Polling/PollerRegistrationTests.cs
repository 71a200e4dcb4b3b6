using Bakong.OpenApi.Client;
using Bakong.Payments.Polling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Tests.Polling;

public sealed class PollerRegistrationTests
{
    [Fact]
    public void AddPaymentPoller_registers_one_hosted_poller_and_its_signal_with_options_from_configuration()
    {
        using var dir = new TempDirectory();
        using var provider = Build(dir, new() { ["Polling:FastInterval"] = "00:00:03", ["Polling:BatchSize"] = "20" });

        var poller = Assert.Single(provider.GetServices<IHostedService>().OfType<PaymentPoller>());
        Assert.Same(provider.GetRequiredService<PaymentPoller>(), poller);
        Assert.Same(provider.GetRequiredService<PollerSignal>(), provider.GetRequiredService<IPollerSignal>());
        var options = provider.GetRequiredService<IOptions<PaymentPollerOptions>>().Value;
        Assert.Equal((TimeSpan.FromSeconds(3), 20), (options.FastInterval, options.BatchSize));
    }

    [Fact]
    public void No_change_sink_wakes_the_poller_for_a_creation_so_a_new_payment_waits_for_the_next_tick()
    {
        using var dir = new TempDirectory();
        var signal = new CountingSignal();
        using var provider = Build(dir, [], services => services.AddSingleton<IPollerSignal>(signal));
        var payment = TestPayments.New();
        var created = payment.UnsavedEvents.ToList();

        var sinks = provider.GetServices<IPaymentChangeSink>().ToList();
        foreach (var sink in sinks)
        {
            sink.Saved(payment, created);
        }

        Assert.NotEmpty(sinks);
        Assert.Equal(PaymentEventType.Created, Assert.Single(created).Type);
        Assert.Equal(0, signal.Notifications);
    }

    [Fact]
    public void Bad_polling_settings_fail_validation_with_clear_messages()
    {
        using var dir = new TempDirectory();
        using var provider = Build(dir, new()
        {
            ["Polling:BatchSize"] = "51",
            ["Polling:FastUntil"] = "00:05:00",
            ["Polling:MediumUntil"] = "00:03:00",
            ["Polling:FaultRetryDelay"] = "00:02:00",
            ["Polling:FaultRetryMaxDelay"] = "00:01:00",
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PaymentPollerOptions>>().Value);
        Assert.Contains("BatchSize", error.Message, StringComparison.Ordinal);
        Assert.Contains("Polling:FastUntil", error.Message, StringComparison.Ordinal);
        Assert.Contains("Polling:FaultRetryDelay", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(TempDirectory dir, Dictionary<string, string?> settings, Action<IServiceCollection>? before = null)
    {
        settings["Storage:Path"] = dir.File("bakong.db");
        settings["Merchant:BakongAccountId"] = "shop@aclb";
        settings["Merchant:Name"] = "Corner Shop";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        before?.Invoke(services);
        services.AddSingleton<IBakongClient>(new FakeBakongClient());
        services.AddBakongPayments(configuration);
        services.AddPaymentPoller(configuration);
        return services.BuildServiceProvider();
    }

    private sealed class CountingSignal : IPollerSignal
    {
        public int Notifications { get; private set; }

        public void Notify() => Notifications++;
    }
}
