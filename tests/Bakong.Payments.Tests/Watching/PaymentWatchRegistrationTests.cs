using System.Diagnostics.Metrics;
using Bakong.Payments.Storage;
using Bakong.Payments.Watching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bakong.Payments.Tests.Watching;

public sealed class PaymentWatchRegistrationTests
{
    [Fact]
    public async Task The_hub_is_a_singleton_and_reports_open_streams_as_bakong_payments_watchers()
    {
        using var dir = new TempDirectory();
        using var lifetime = new TestLifetime();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IHostApplicationLifetime>(lifetime);
        services.AddSingleton(_ => new LiteDbPaymentStore(dir.File("payments.db")));
        services.AddSingleton<IPaymentStore>(sp => sp.GetRequiredService<LiteDbPaymentStore>());
        services.AddPaymentWatchHub();
        await using var provider = services.BuildServiceProvider();

        var hub = provider.GetRequiredService<PaymentWatchHub>();
        Assert.Same(hub, provider.GetRequiredService<PaymentWatchHub>());

        var factory = provider.GetRequiredService<IMeterFactory>();
        var watchers = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "bakong.payments.watchers")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => Interlocked.Add(ref watchers, value));
        listener.Start();

        var store = provider.GetRequiredService<IPaymentStore>();
        var payment = (await store.InsertIfAbsentAsync(TestPayments.New(), WatchHarness.Ct)).Payment;
        await using (var first = new Watcher(hub.WatchAsync(payment.Id, 0, WatchHarness.Ct)))
        await using (var second = new Watcher(hub.WatchAsync(payment.Id, 0, WatchHarness.Ct)))
        {
            await first.NextAsync();
            await second.NextAsync();
            Assert.Equal(2, Interlocked.Read(ref watchers));
        }

        Assert.Equal(0, Interlocked.Read(ref watchers));
    }
}
