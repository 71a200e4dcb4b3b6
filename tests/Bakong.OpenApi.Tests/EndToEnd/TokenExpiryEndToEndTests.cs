using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Bakong.OpenApi.Tests.EndToEnd;

/// <summary>
/// The 3-day expiry warning and the automatic renewal by <c>TokenRenewalService</c>, on a shared
/// <c>FakeTimeProvider</c>, against the sandbox.
/// </summary>
public sealed class TokenExpiryEndToEndTests
{
    private const string Email = "ops@shop.kh";
    private const string TokenExpiringSoon = "TokenExpiringSoon";
    private const string TokenRenewed = "TokenRenewed";
    private const string RenewalFailed = "RenewalFailed";
    private const string AutomaticRenewalRetry = "AutomaticRenewalRetry";

    private static readonly TimeSpan s_checkInterval = TimeSpan.FromDays(1);
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromMinutes(7);
    private static readonly TimeSpan s_lifetime = TimeSpan.FromDays(3) + TimeSpan.FromHours(12);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_token_entering_the_three_day_window_degrades_health_logs_a_warning_and_is_renewed_through_the_sandbox()
    {
        await using var gateway = await SandboxGateway.StartAsync(
            tokens: o =>
            {
                o.CheckInterval = s_checkInterval;
                o.RenewalRetryDelay = s_retryDelay;
            },
            startHost: false);
        var old = await gateway.UseNewTokenAsync(Email, s_lifetime);

        // The renewal service's first look: healthy, so it sleeps until the token enters the warning window (12 h).
        await gateway.StartHostAsync();
        await gateway.Time.WaitForTimerAsync(TimeSpan.FromHours(12));
        var healthBefore = await gateway.TokenHealthAsync();
        var statusBefore = gateway.Onboarding.Status();

        // Bakong is down when the window opens: the warning goes out, health degrades, and the renewal is retried.
        await gateway.FaultsAsync(new { serverErrorRate = 1.0, serverErrorStatus = 503 });
        gateway.Time.Advance(TimeSpan.FromHours(12));
        await gateway.Time.WaitForTimerAsync(s_retryDelay);
        var healthInWindow = await gateway.TokenHealthAsync();
        var statusInWindow = gateway.Onboarding.Status();
        var warnings = gateway.Logs.GetSnapshot().Where(r => r.Id.Name == TokenExpiringSoon).ToArray();

        var tokenInWindow = await gateway.CurrentTokenAsync();

        // Bakong is back: the retry renews, and the new token is in use at once.
        await gateway.ClearFaultsAsync();
        gateway.Time.Advance(s_retryDelay);
        await gateway.Time.WaitForTimerAsync(s_checkInterval);
        var renewed = await gateway.CurrentTokenAsync();
        var healthAfter = await gateway.TokenHealthAsync();
        var statusAfter = gateway.Onboarding.Status();
        var check = await gateway.Client.CheckTransactionByMd5Async(gateway.DynamicQr(1m).Md5, Ct);

        Assert.Equal(HealthStatus.Healthy, healthBefore.Status);
        Assert.Equal((TokenState.Healthy, 3), (statusBefore.Status.State, statusBefore.Status.DaysLeft));

        Assert.Equal(HealthStatus.Degraded, healthInWindow.Status);
        Assert.Equal("ExpiringSoon", healthInWindow.Data["state"]);
        Assert.Equal(3, healthInWindow.Data["daysLeft"]);
        Assert.Contains("bakong token renew", healthInWindow.Description, StringComparison.Ordinal);
        Assert.Equal(TokenState.ExpiringSoon, statusInWindow.Status.State);
        var warning = Assert.Single(warnings);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("3 days left", warning.Message, StringComparison.Ordinal);
        Assert.Equal(old, tokenInWindow);
        Assert.Equal(1, gateway.CountLogEvents(RenewalFailed));
        Assert.Equal(1, gateway.CountLogEvents(AutomaticRenewalRetry));

        Assert.NotEqual(old, renewed);
        Assert.Equal(renewed, (await gateway.MailboxAsync(Email))[^1].Token);
        Assert.Equal(1, gateway.CountLogEvents(TokenRenewed));
        Assert.Equal(HealthStatus.Healthy, healthAfter.Status);
        Assert.Equal((TokenState.Healthy, 90, true), (statusAfter.Status.State, statusAfter.Status.DaysLeft, statusAfter.Status.Renewed));
        Assert.True(check.IsSuccess, check.Failure);
        Assert.Equal(
            [(503, "ServerError"), (200, "Success")],
            (await gateway.AuditAsync("renew_token")).Select(a => (a.HttpStatus ?? 0, a.Outcome)));
    }

    [Fact]
    public async Task The_renewed_token_keeps_working_after_the_old_one_has_expired_in_the_sandbox()
    {
        await using var gateway = await SandboxGateway.StartAsync(
            tokens: o => o.CheckInterval = s_checkInterval,
            startHost: false);
        await gateway.UseNewTokenAsync(Email, s_lifetime);
        await gateway.StartHostAsync();
        await gateway.Time.WaitForTimerAsync(TimeSpan.FromHours(12));

        gateway.Time.Advance(TimeSpan.FromHours(12));
        await gateway.Time.WaitForTimerAsync(s_checkInterval);

        // At the old token's exp: the sandbox refuses it from now on, the renewed one is what the client sends.
        gateway.Time.Advance(TimeSpan.FromDays(3));
        await gateway.Time.WaitForTimerAsync(s_checkInterval, count: 2);
        Assert.True(gateway.Time.GetUtcNow() >= SandboxGateway.Start + s_lifetime);
        var check = await gateway.Client.CheckTransactionByMd5Async(gateway.DynamicQr(1m).Md5, Ct);

        Assert.True(check.IsSuccess, check.Failure);
        Assert.Equal([200], (await gateway.AuditAsync("check_transaction_by_md5")).Select(a => a.HttpStatus ?? 0));
        Assert.Single(await gateway.AuditAsync("renew_token"));
        Assert.Equal(TokenState.Healthy, gateway.Tokens.GetStatus().State);
    }

    [Fact]
    public async Task A_token_that_expires_without_renewal_makes_sandbox_health_degraded_and_checks_unauthorized()
    {
        await using var gateway = await SandboxGateway.StartAsync(tokens: o => o.AutoRenew = false);
        await gateway.UseNewTokenAsync(email: null, TimeSpan.FromDays(2));

        gateway.Time.Advance(TimeSpan.FromDays(2));
        var health = await gateway.TokenHealthAsync();
        var check = await gateway.Client.CheckTransactionByMd5Async(gateway.DynamicQr(1m).Md5, Ct);

        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal("Expired", health.Data["state"]);
        Assert.Equal(TokenState.Expired, gateway.Onboarding.Status().Status.State);
        Assert.Equal(BakongFaultKind.Unauthorized, check.Fault?.Kind);
    }
}
