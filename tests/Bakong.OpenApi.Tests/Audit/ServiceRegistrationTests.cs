using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tests.Tokens;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Tests.Audit;

public sealed class ServiceRegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_host_with_tokens_and_audit_starts_shares_one_manager_and_reports_token_health()
    {
        using var directory = new TempDirectory();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IBakongRegistrationApi>(new FakeRegistrationApi());
        builder.Services.AddBakongTokens(o =>
        {
            o.DatabasePath = directory.File("tokens.db");
            o.Environment = BakongEnvironment.Sit;
        });
        builder.Services.AddBakongCallAudit(o => o.DatabasePath = directory.File("audit.db"));
        using var host = builder.Build();

        await host.StartAsync(Ct);
        var manager = host.Services.GetRequiredService<BakongTokenManager>();
        Assert.Same(manager, host.Services.GetRequiredService<IBakongTokenSource>());
        Assert.Same(host.Services.GetRequiredService<LiteDbCallAudit>(), host.Services.GetRequiredService<IBakongCallAudit>());
        var onboarding = host.Services.GetRequiredService<TokenOnboarding>();
        Assert.True(onboarding.Set(TestJwt.Create(host.Services.GetRequiredService<TimeProvider>().GetUtcNow().AddDays(1))).Succeeded);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);
        await host.StopAsync(Ct);

        Assert.Equal(HealthStatus.Degraded, health.Entries["bakong-token"].Status);
    }

    [Fact]
    public async Task Invalid_token_options_fail_the_host_at_start_with_the_field_named()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IBakongRegistrationApi>(new FakeRegistrationApi());
        builder.Services.AddBakongTokens(o =>
        {
            o.DatabasePath = "";
            o.Email = "not an e-mail";
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("DatabasePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("Email", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_audit_options_fail_the_host_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddBakongCallAudit(o => o.QueueCapacity = 0);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("QueueCapacity", error.Message, StringComparison.Ordinal);
    }
}
