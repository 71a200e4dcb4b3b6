using System.Diagnostics.Metrics;
using Bakong.OpenApi.Tokens;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>
/// What must be in place before anything starts (the poller, the webhook dispatcher, the token renewal, the server)
/// is done as the host is starting, not by registering first: a hosted service registered before all of them still
/// finds it done.
/// </summary>
public sealed class StartupOrderTests : IAsyncDisposable
{
    private readonly StartProbe _probe = new();
    private readonly GatewayFactory _gateway;

    public StartupOrderTests() => _gateway = new GatewayFactory
    {
        ConfigureHost = b => b.ConfigureServices(services => services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp =>
        {
            _probe.Services = sp;
            return _probe;
        }))),
    };

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public void The_state_gauge_is_seeded_and_the_sandbox_token_set_before_the_first_registered_hosted_service_starts()
    {
        _ = _gateway.Services; // starts the host

        var hosted = _gateway.Services.GetServices<IHostedService>().ToList();
        Assert.Same(_probe, hosted[0]);
        Assert.True(_probe.GaugeReported, "the bakong.payments.current gauge reported nothing: not seeded yet");
        Assert.True(_probe.TokenUsable, "no usable sandbox token yet");
    }

    /// <summary>Looks, when it starts, at what the lifecycle services should have done already.</summary>
    private sealed class StartProbe : IHostedService
    {
        public IServiceProvider? Services { get; set; }

        public bool GaugeReported { get; private set; }

        public bool TokenUsable { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            var services = Services!;
            using var gauge = new MetricCollector<long>(services.GetRequiredService<IMeterFactory>(), "Bakong.Payments", "bakong.payments.current");
            gauge.RecordObservableInstruments();
            GaugeReported = gauge.GetMeasurementSnapshot().Count > 0;
            TokenUsable = services.GetRequiredService<BakongTokenManager>().GetStatus().IsUsable;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
