using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using System.Diagnostics.Metrics;

namespace Bakong.OpenApi.Tests.Tokens;

public sealed class TokenExpiryWarningTests
{
    private const int ExpiringSoonEvent = 1300;
    private const int ExpiredEvent = 1301;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Four_days_before_expiry_there_is_no_warning_and_health_is_healthy()
    {
        using var fixture = new TokenFixture();
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(4)));

        var status = fixture.Manager.CheckExpiry();
        await fixture.Manager.GetCurrentAsync(Ct);

        Assert.Equal(TokenState.Healthy, status.State);
        Assert.Equal(4, status.DaysLeft);
        Assert.Equal(0, fixture.CountEvents(ExpiringSoonEvent));
        Assert.Equal(HealthStatus.Healthy, (await CheckHealthAsync(fixture)).Status);
    }

    [Fact]
    public async Task Three_days_before_expiry_there_is_one_warning_per_day_and_health_is_degraded()
    {
        using var fixture = new TokenFixture();
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(4)));

        fixture.Time.Advance(TimeSpan.FromDays(1));
        for (var call = 0; call < 50; call++)
        {
            await fixture.Manager.GetCurrentAsync(Ct);
        }

        var health = await CheckHealthAsync(fixture);
        Assert.Equal(TokenState.ExpiringSoon, fixture.Manager.GetStatus().State);
        Assert.Equal(3, fixture.Manager.GetStatus().DaysLeft);
        Assert.Equal(1, fixture.CountEvents(ExpiringSoonEvent));
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal(3, health.Data["daysLeft"]);

        fixture.Time.Advance(TimeSpan.FromHours(23));
        await fixture.Manager.GetCurrentAsync(Ct);
        Assert.Equal(1, fixture.CountEvents(ExpiringSoonEvent));

        fixture.Time.Advance(TimeSpan.FromHours(1));
        await fixture.Manager.GetCurrentAsync(Ct);
        await fixture.Manager.GetCurrentAsync(Ct);
        Assert.Equal(2, fixture.CountEvents(ExpiringSoonEvent));
    }

    [Fact]
    public async Task The_warning_window_is_configurable()
    {
        using var fixture = new TokenFixture(o => o.WarningWindow = TimeSpan.FromDays(7));
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(6)));

        await fixture.Manager.GetCurrentAsync(Ct);

        Assert.Equal(TokenState.ExpiringSoon, fixture.Manager.GetStatus().State);
        Assert.Equal(1, fixture.CountEvents(ExpiringSoonEvent));
    }

    [Fact]
    public async Task After_expiry_the_token_is_expired_an_error_is_logged_and_health_is_unhealthy()
    {
        using var fixture = new TokenFixture();
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(4)));
        fixture.Time.Advance(TimeSpan.FromDays(1));
        await fixture.Manager.GetCurrentAsync(Ct);

        fixture.Time.Advance(TimeSpan.FromDays(3));
        var health = await CheckHealthAsync(fixture);

        Assert.Equal(TokenState.Expired, fixture.Manager.GetStatus().State);
        Assert.Equal(1, fixture.CountEvents(ExpiredEvent));
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
    }

    [Fact]
    public async Task A_missing_token_is_unhealthy_against_NBC_but_only_degraded_against_the_sandbox()
    {
        using var sit = new TokenFixture(o => o.Environment = BakongEnvironment.Sit);
        using var sandbox = new TokenFixture(o => o.Environment = BakongEnvironment.Sandbox);

        Assert.Equal(HealthStatus.Unhealthy, (await CheckHealthAsync(sit)).Status);
        Assert.Equal(HealthStatus.Degraded, (await CheckHealthAsync(sandbox)).Status);
    }

    [Fact]
    public async Task A_token_without_a_known_expiry_is_healthy()
    {
        using var fixture = new TokenFixture();
        fixture.Manager.Set("rbk_not_a_jwt");

        Assert.Equal(HealthStatus.Healthy, (await CheckHealthAsync(fixture)).Status);
        Assert.Null(fixture.Manager.GetStatus().DaysLeft);
    }

    [Fact]
    public void Setting_a_new_token_clears_the_warning_state()
    {
        using var fixture = new TokenFixture();
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(2)));
        fixture.Manager.CheckExpiry();

        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1)));
        fixture.Manager.CheckExpiry();

        Assert.Equal(2, fixture.CountEvents(ExpiringSoonEvent));
    }

    [Fact]
    public void The_days_left_gauge_reports_the_time_to_expiry_in_days()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        using var fixture = new TokenFixture();
        var manager = fixture.NewManager(fixture.Store, meterFactory);
        using var collector = new MetricCollector<double>(meterFactory, BakongTokenManager.MeterName, "bakong.token.days_left");

        collector.RecordObservableInstruments();
        Assert.Empty(collector.GetMeasurementSnapshot());

        manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(4)));
        fixture.Time.Advance(TimeSpan.FromDays(1.5));
        collector.RecordObservableInstruments();

        var measurement = collector.LastMeasurement;
        Assert.NotNull(measurement);
        Assert.Equal(2.5, measurement.Value, precision: 6);
        Assert.Equal("Sit", measurement.Tags["bakong.environment"]);
    }

    private static Task<HealthCheckResult> CheckHealthAsync(TokenFixture fixture) =>
        new TokenHealthCheck(fixture.Manager).CheckHealthAsync(new HealthCheckContext(), Ct);
}
