using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;

namespace Bakong.OpenApi.Tests.Tokens;

public sealed class TokenOnboardingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Register_asks_bakong_for_a_code_remembers_the_email_and_says_to_verify()
    {
        using var fixture = new TokenFixture();
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);

        var result = await onboarding.RegisterAsync("ops@example.com", "Shop", "Till", Ct);

        Assert.True(result.Succeeded);
        Assert.Contains("bakong token verify", result.Message, StringComparison.Ordinal);
        Assert.Equal(("ops@example.com", "Shop", "Till"), Assert.Single(fixture.Api.Registrations));
        Assert.Equal("ops@example.com", fixture.Manager.RenewalEmail);
    }

    [Fact]
    public async Task Register_with_an_already_registered_email_says_to_set_or_renew()
    {
        using var fixture = new TokenFixture();
        fixture.Api.RequestTokenResult = BakongResult.Error(8, "Email has been registered already");
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);

        var result = await onboarding.RegisterAsync("ops@example.com", "Shop", "Till", Ct);

        Assert.False(result.Succeeded);
        Assert.Contains("already registered", result.Message, StringComparison.Ordinal);
        Assert.Equal("ops@example.com", fixture.Manager.RenewalEmail);
    }

    [Theory]
    [InlineData("not-an-email", "Shop", "Till")]
    [InlineData("a-very-long-mailbox-name@example.com", "Shop", "Till")]
    [InlineData("ops@example.com", "", "Till")]
    [InlineData("ops@example.com", "Shop", " ")]
    public async Task Register_refuses_bad_input_without_calling_bakong(string email, string organization, string project)
    {
        using var fixture = new TokenFixture();
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);

        var result = await onboarding.RegisterAsync(email, organization, project, Ct);

        Assert.False(result.Succeeded);
        Assert.Empty(fixture.Api.Registrations);
    }

    [Fact]
    public async Task Verify_saves_the_issued_token_and_reports_its_expiry_without_showing_it()
    {
        using var fixture = new TokenFixture();
        var issued = TestJwt.Create(TokenFixture.Start.AddDays(90));
        fixture.Api.VerifyHandler = code => code == "ABCDEFGHIJ0123456789"
            ? BakongResult<string>.Success(issued, "Token has been issued")
            : BakongResult<string>.Error(6, "Unauthorized, not yet requested for token or code invalid");
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);

        var result = await onboarding.VerifyAsync(" ABCDEFGHIJ0123456789 ", Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.Contains("90 days left", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(issued, result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ABCDEFGHIJ0123456789", result.Message, StringComparison.Ordinal);
        Assert.Equal(issued, (await fixture.Manager.GetCurrentAsync(Ct))?.Value);
        Assert.Equal(TokenState.Healthy, result.Status.State);
    }

    [Fact]
    public async Task Verify_with_a_wrong_code_keeps_no_token()
    {
        using var fixture = new TokenFixture();
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);

        var result = await onboarding.VerifyAsync("wrong", Ct);

        Assert.False(result.Succeeded);
        Assert.Equal(TokenState.Missing, result.Status.State);
    }

    [Fact]
    public async Task Set_saves_a_pasted_token_even_with_a_bearer_prefix_and_an_email()
    {
        using var fixture = new TokenFixture();
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);
        var value = TestJwt.Create(TokenFixture.Start.AddDays(30));

        var result = onboarding.Set("  Bearer " + value + "\n", "ops@example.com");

        Assert.True(result.Succeeded, result.Message);
        Assert.Contains("30 days left", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, result.Message, StringComparison.Ordinal);
        Assert.Equal(value, (await fixture.Manager.GetCurrentAsync(Ct))?.Value);
        Assert.Equal("ops@example.com", fixture.Manager.RenewalEmail);
    }

    [Fact]
    public void Set_refuses_an_already_expired_token()
    {
        using var fixture = new TokenFixture();
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);

        var result = onboarding.Set(TestJwt.NbcDocumentSample);

        Assert.False(result.Succeeded);
        Assert.Contains("expired", result.Message, StringComparison.Ordinal);
        Assert.Equal(TokenState.Missing, result.Status.State);
    }

    [Fact]
    public void Set_accepts_a_token_that_is_not_a_JWT_and_says_its_expiry_is_unknown()
    {
        using var fixture = new TokenFixture();
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);

        var result = onboarding.Set("rbk_0123456789abcdef");

        Assert.True(result.Succeeded);
        Assert.Contains("expiry is unknown", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renew_without_an_email_explains_how_to_get_one()
    {
        using var fixture = new TokenFixture();
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);

        var result = await onboarding.RenewAsync(Ct);

        Assert.False(result.Succeeded);
        Assert.Contains("bakong token register", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renew_reports_bakongs_refusal()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);

        var result = await onboarding.RenewAsync(Ct);

        Assert.False(result.Succeeded);
        Assert.Contains("Not registered yet", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renew_saves_the_new_token()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        var last = fixture.Api.IssueFreshTokens(fixture.Time);
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);

        var result = await onboarding.RenewAsync(Ct);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(last(), (await fixture.Manager.GetCurrentAsync(Ct))?.Value);
        Assert.DoesNotContain(last(), result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_shows_environment_expiry_and_days_left()
    {
        using var fixture = new TokenFixture();
        var onboarding = new TokenOnboarding(fixture.Manager, fixture.Api);
        onboarding.Set(TestJwt.Create(TokenFixture.Start.AddDays(2).AddHours(5)));

        var result = onboarding.Status();

        Assert.Equal(TokenState.ExpiringSoon, result.Status.State);
        Assert.Equal(BakongEnvironment.Sit, result.Status.Environment);
        Assert.Equal(2, result.Status.DaysLeft);
        Assert.Equal("The Sit token expires at 2025-06-03 13:00 UTC (2 days left). Renew it with 'bakong token renew'.", result.Message);
    }

    [Fact]
    public void Status_without_a_token_says_how_to_get_one()
    {
        using var fixture = new TokenFixture();

        var result = new TokenOnboarding(fixture.Manager, fixture.Api).Status();

        Assert.False(result.Succeeded);
        Assert.Contains("bakong token register", result.Message, StringComparison.Ordinal);
    }
}
