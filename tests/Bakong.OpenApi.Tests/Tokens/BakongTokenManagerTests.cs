using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;

namespace Bakong.OpenApi.Tests.Tokens;

public sealed class BakongTokenManagerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_a_stored_token_the_current_token_is_null()
    {
        using var fixture = new TokenFixture();

        Assert.Null(await fixture.Manager.GetCurrentAsync(Ct));
        Assert.Equal(TokenState.Missing, fixture.Manager.GetStatus().State);
    }

    [Fact]
    public async Task A_set_token_is_current_with_the_expiry_of_its_exp_claim_and_survives_a_restart()
    {
        using var fixture = new TokenFixture();
        var value = TestJwt.Create(TokenFixture.Start.AddDays(90));

        fixture.Manager.Set(value, "ops@example.com");
        fixture.Reopen();

        var current = await fixture.Manager.GetCurrentAsync(Ct);
        Assert.Equal(value, current?.Value);
        Assert.Equal(TokenFixture.Start.AddDays(90), current?.ExpiresAt);
        Assert.Equal("ops@example.com", fixture.Manager.RenewalEmail);
    }

    [Fact]
    public async Task Hot_swap_gives_later_calls_the_new_token_while_a_call_in_flight_keeps_the_one_it_read()
    {
        using var fixture = new TokenFixture();
        fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(10), "old"));
        var inFlight = await fixture.Manager.GetCurrentAsync(Ct);
        var oldValue = inFlight!.Value;

        var replacement = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(90), "new"));

        Assert.Equal(oldValue, inFlight.Value);
        Assert.Same(replacement, await fixture.Manager.GetCurrentAsync(Ct));
    }

    [Fact]
    public async Task Twenty_concurrent_renewals_of_the_same_rejected_token_make_one_renew_call_and_all_get_the_new_token()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        var rejected = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1), "old"));
        var renewed = TestJwt.Create(TokenFixture.Start.AddDays(90), "new");
        var answer = new TaskCompletionSource<BakongResult<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Api.RenewHandler = _ => answer.Task;

        var callers = Enumerable.Range(0, 20).Select(_ => Task.Run(() => fixture.Manager.RenewAsync(rejected, Ct).AsTask(), Ct)).ToArray();
        Assert.Equal("ops@example.com", await fixture.Api.RenewCalls.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct));
        answer.SetResult(BakongResult<string>.Success(renewed, "Token has been issued"));
        var results = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(1, fixture.Api.RenewCount);
        Assert.All(results, token => Assert.Equal(renewed, token?.Value));
        Assert.Equal(renewed, (await fixture.Manager.GetCurrentAsync(Ct))?.Value);
    }

    [Fact]
    public async Task A_caller_whose_rejected_token_is_older_than_the_current_one_gets_the_current_one_without_renewing()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        var old = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1), "old"));
        var current = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(90), "new"));

        var retryWith = await fixture.Manager.RenewAsync(old, Ct);

        Assert.Same(current, retryWith);
        Assert.Equal(0, fixture.Api.RenewCount);
    }

    [Fact]
    public async Task A_renewed_token_that_is_rejected_in_turn_is_renewed_again()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        var last = fixture.Api.IssueFreshTokens(fixture.Time);
        var first = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1), "old"));

        var second = await fixture.Manager.RenewAsync(first, Ct);
        var third = await fixture.Manager.RenewAsync(second!, Ct);

        Assert.Equal(2, fixture.Api.RenewCount);
        Assert.Equal(last(), third?.Value);
        Assert.NotEqual(second!.Value, third!.Value);
    }

    [Fact]
    public async Task Without_a_registered_email_renewal_returns_null_and_logs_why()
    {
        using var fixture = new TokenFixture();
        var rejected = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1)));

        Assert.Null(await fixture.Manager.RenewAsync(rejected, Ct));
        Assert.Equal(0, fixture.Api.RenewCount);
        Assert.Equal(1, fixture.CountEvents(1305));
    }

    [Fact]
    public async Task The_email_saved_at_registration_is_used_when_none_is_configured()
    {
        using var fixture = new TokenFixture();
        fixture.Api.IssueFreshTokens(fixture.Time);
        var rejected = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1)));
        fixture.Manager.SetEmail("registered@example.com");

        Assert.NotNull(await fixture.Manager.RenewAsync(rejected, Ct));
        Assert.Equal("registered@example.com", await fixture.Api.RenewCalls.Reader.ReadAsync(Ct));
    }

    [Fact]
    public async Task A_refused_renewal_returns_null_keeps_the_old_token_and_a_later_renewal_tries_again()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        var rejected = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1)));

        Assert.Null(await fixture.Manager.RenewAsync(rejected, Ct));
        Assert.Same(rejected, await fixture.Manager.GetCurrentAsync(Ct));
        Assert.Equal(1, fixture.CountEvents(1306));

        fixture.Api.IssueFreshTokens(fixture.Time);
        Assert.NotNull(await fixture.Manager.RenewAsync(rejected, Ct));
        Assert.Equal(2, fixture.Api.RenewCount);
    }

    [Fact]
    public async Task A_renewal_that_throws_returns_null_to_every_waiting_caller()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        var rejected = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1)));
        fixture.Api.RenewHandler = _ => throw new HttpRequestException("connection refused");

        Assert.Null(await fixture.Manager.RenewAsync(rejected, Ct));
        Assert.Equal(1, fixture.CountEvents(1310));
    }

    [Fact]
    public async Task The_renewed_token_is_persisted()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        var last = fixture.Api.IssueFreshTokens(fixture.Time);
        var rejected = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(1)));
        await fixture.Manager.RenewAsync(rejected, Ct);

        fixture.Reopen();

        Assert.Equal(last(), (await fixture.Manager.GetCurrentAsync(Ct))?.Value);
        Assert.True(fixture.Manager.GetStatus().Renewed);
    }

    [Fact]
    public async Task No_token_value_reaches_the_log()
    {
        using var fixture = new TokenFixture(o => o.Email = "ops@example.com");
        var last = fixture.Api.IssueFreshTokens(fixture.Time);
        var first = fixture.Manager.Set(TestJwt.Create(TokenFixture.Start.AddDays(2)));
        fixture.Manager.CheckExpiry();
        await fixture.Manager.RenewAsync(first, Ct);
        fixture.Time.Advance(TimeSpan.FromDays(100));
        fixture.Manager.CheckExpiry();

        var logged = fixture.AllLogText();
        Assert.NotEmpty(fixture.Logs.GetSnapshot());
        Assert.DoesNotContain(first.Value, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(last(), logged, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", logged, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", first.ToString(), StringComparison.Ordinal);
    }
}
