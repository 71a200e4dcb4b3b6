using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.Logging.Testing;

namespace Bakong.OpenApi.Tests.Tokens;

public sealed class TokenRenewalServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_token_is_renewed_automatically_when_it_enters_the_warning_window()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        var last = fixture.Api.IssueFreshTokens(fixture.Time);
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(5)));
        using var service = NewService(fixture);

        await service.StartAsync(Ct);
        Assert.Equal(TimeSpan.FromHours(1), await fixture.Time.NextTimerAsync());
        Assert.Equal(0, fixture.Api.RenewCount);

        fixture.Time.Advance(TimeSpan.FromDays(2));
        await fixture.Api.RenewCalls.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await fixture.Time.NextTimerAsync();
        await service.StopAsync(Ct);

        Assert.Equal(1, fixture.Api.RenewCount);
        Assert.Equal(last(), (await fixture.Manager.GetCurrentAsync(Ct))?.Value);
        Assert.Equal(TokenState.Healthy, fixture.Manager.GetStatus().State);
    }

    [Fact]
    public async Task The_first_check_waits_only_until_the_warning_window_when_that_comes_sooner()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(3).AddMinutes(10)));
        using var service = NewService(fixture);

        await service.StartAsync(Ct);
        var firstWait = await fixture.Time.NextTimerAsync();
        await service.StopAsync(Ct);

        Assert.Equal(TimeSpan.FromMinutes(10), firstWait);
    }

    [Fact]
    public async Task A_failed_automatic_renewal_is_retried_with_doubling_delays_on_the_fake_clock()
    {
        using var fixture = new TokenFixture(o =>
        {
            o.Email = "ops@example.com";
            o.RenewalRetryDelay = TimeSpan.FromMinutes(1);
        });
        var failures = 2;
        var renewed = TestJwt.Create(TokenFixture.Start.AddDays(90), "renewed");
        fixture.Api.RenewHandler = _ => Task.FromResult(Interlocked.Decrement(ref failures) >= 0
            ? BakongResult<string>.Failed(new BakongFault(BakongFaultKind.ServerError, "Bakong answered HTTP 503", 503))
            : BakongResult<string>.Success(renewed, "Token has been issued"));
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(2)));
        using var service = NewService(fixture);

        await service.StartAsync(Ct);
        Assert.Equal(TimeSpan.FromMinutes(1), await fixture.Time.NextTimerAsync());
        Assert.Equal(1, fixture.Api.RenewCount);

        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(TimeSpan.FromMinutes(2), await fixture.Time.NextTimerAsync());
        Assert.Equal(2, fixture.Api.RenewCount);

        fixture.Time.Advance(TimeSpan.FromMinutes(2));
        await fixture.Time.NextTimerAsync();
        await service.StopAsync(Ct);

        Assert.Equal(3, fixture.Api.RenewCount);
        Assert.Equal(renewed, (await fixture.Manager.GetCurrentAsync(Ct))?.Value);
        Assert.Equal(2, fixture.CountEvents(1308));
    }

    [Fact]
    public async Task Without_an_email_the_service_does_not_call_bakong_and_says_why_once()
    {
        using var fixture = new TokenFixture();
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1)));
        using var service = NewService(fixture);

        await service.StartAsync(Ct);
        await fixture.Time.NextTimerAsync();
        fixture.Time.Advance(TimeSpan.FromHours(1));
        await fixture.Time.NextTimerAsync();
        await service.StopAsync(Ct);

        Assert.Equal(0, fixture.Api.RenewCount);
        Assert.Equal(1, fixture.CountEvents(1309));
    }

    [Fact]
    public async Task With_automatic_renewal_off_the_service_does_nothing()
    {
        using var fixture = new TokenFixture(o =>
        {
            o.Email = "ops@example.com";
            o.AutoRenew = false;
        });
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1)));
        using var service = NewService(fixture);

        await service.StartAsync(Ct);
        await (service.ExecuteTask ?? Task.CompletedTask).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await service.StopAsync(Ct);

        Assert.Equal(0, fixture.Api.RenewCount);
    }

    private static TokenRenewalService NewService(TokenFixture fixture) =>
        new(fixture.Manager, Microsoft.Extensions.Options.Options.Create(fixture.Options), fixture.Time, new FakeLogger<TokenRenewalService>(fixture.Logs));
}
