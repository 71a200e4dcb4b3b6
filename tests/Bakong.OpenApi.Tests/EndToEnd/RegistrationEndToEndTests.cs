using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;

namespace Bakong.OpenApi.Tests.EndToEnd;

/// <summary>request_token → the sandbox's mailbox → verify → token, renew_token, and the onboarding a user runs.</summary>
public sealed class RegistrationEndToEndTests
{
    private const string Email = "dev@shop.kh";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requesting_a_token_mails_a_code_that_verify_exchanges_for_a_token_the_api_accepts()
    {
        await using var gateway = await SandboxGateway.StartAsync();

        var requested = await gateway.Registration.RequestTokenAsync(Email, "Shop", "Kiosk", Ct);
        var mail = Assert.Single(await gateway.MailboxAsync(Email));
        var verified = await gateway.Registration.VerifyAsync(mail.Code!, Ct);
        Assert.True(verified.IsSuccess, verified.Failure);
        gateway.Tokens.Set(verified.Value);
        var check = await gateway.Client.CheckTransactionByMd5Async(gateway.DynamicQr(1m).Md5, Ct);

        Assert.True(requested.IsSuccess, requested.Failure);
        Assert.Equal("Email has been sent", requested.Message);
        Assert.Equal("verification-code", mail.Kind);
        Assert.Equal(20, mail.Code!.Length);
        Assert.Equal("Token has been issued", verified.Message);
        Assert.Equal(gateway.Time.GetUtcNow().AddDays(90), gateway.Tokens.GetStatus().ExpiresAt);
        Assert.IsType<TransactionCheck.NotFound>(check.Value);
    }

    [Fact]
    public async Task A_code_is_good_once_and_a_verified_email_cannot_request_another()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.Registration.RequestTokenAsync(Email, "Shop", "Kiosk", Ct);
        var code = Assert.Single(await gateway.MailboxAsync(Email)).Code!;

        var first = await gateway.Registration.VerifyAsync(code, Ct);
        var second = await gateway.Registration.VerifyAsync(code, Ct);
        var again = await gateway.Registration.RequestTokenAsync(Email, "Shop", "Kiosk", Ct);

        Assert.True(first.IsSuccess, first.Failure);
        Assert.False(second.IsSuccess);
        Assert.True(second.ErrorCode == 6 || second.Fault?.HttpStatus == 401, second.Failure);
        Assert.Equal(8, again.ErrorCode);
    }

    [Fact]
    public async Task Renew_token_issues_a_new_token_for_a_registered_email_and_refuses_an_unknown_one()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        var issued = await gateway.IssueTokenAsync(Email);
        gateway.Time.Advance(TimeSpan.FromDays(1));

        var renewed = await gateway.Registration.RenewTokenAsync(Email, Ct);
        var unknown = await gateway.Registration.RenewTokenAsync("stranger@shop.kh", Ct);
        var mails = await gateway.MailboxAsync(Email);

        Assert.True(renewed.IsSuccess, renewed.Failure);
        Assert.NotEqual(issued.Token, renewed.Value);
        Assert.Equal([issued.Token, renewed.Value], mails.Select(m => m.Token));
        Assert.Equal(10, unknown.ErrorCode);
        Assert.Equal("Not registered yet", unknown.Message);
    }

    [Fact]
    public async Task Onboarding_register_then_verify_saves_a_token_that_checks_transactions_and_status_reports_it()
    {
        await using var gateway = await SandboxGateway.StartAsync();

        var registered = await gateway.Onboarding.RegisterAsync(Email, "Shop", "Kiosk", Ct);
        var code = Assert.Single(await gateway.MailboxAsync(Email)).Code!;
        var verified = await gateway.Onboarding.VerifyAsync(code, Ct);
        var status = gateway.Onboarding.Status();
        var check = await gateway.Client.CheckTransactionByMd5Async(gateway.DynamicQr(1m).Md5, Ct);

        Assert.True(registered.Succeeded, registered.Message);
        Assert.Contains("bakong token verify", registered.Message, StringComparison.Ordinal);
        Assert.True(verified.Succeeded, verified.Message);
        Assert.Contains("90 days left", verified.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(code, verified.Message, StringComparison.Ordinal);
        Assert.True(status.Succeeded);
        Assert.Equal(TokenState.Healthy, status.Status.State);
        Assert.Equal(BakongEnvironment.Sandbox, status.Status.Environment);
        Assert.Equal(Email, status.Status.Email);
        Assert.Equal(90, status.Status.DaysLeft);
        Assert.True(check.IsSuccess, check.Failure);
    }

    [Fact]
    public async Task Onboarding_renew_after_register_and_verify_swaps_in_a_new_token_from_the_sandbox()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.Onboarding.RegisterAsync(Email, "Shop", "Kiosk", Ct);
        await gateway.Onboarding.VerifyAsync(Assert.Single(await gateway.MailboxAsync(Email)).Code!, Ct);
        var first = await gateway.CurrentTokenAsync();
        gateway.Time.Advance(TimeSpan.FromDays(10));

        var renewed = await gateway.Onboarding.RenewAsync(Ct);
        var current = await gateway.CurrentTokenAsync();

        Assert.True(renewed.Succeeded, renewed.Message);
        Assert.Contains("90 days left", renewed.Message, StringComparison.Ordinal);
        Assert.NotEqual(first, current);
        Assert.Equal(current, (await gateway.MailboxAsync(Email))[^1].Token);
        Assert.True(gateway.Onboarding.Status().Status.Renewed);
        Assert.True((await gateway.Client.CheckTransactionByMd5Async(gateway.DynamicQr(1m).Md5, Ct)).IsSuccess);
    }

    [Fact]
    public async Task Onboarding_set_takes_a_pasted_sandbox_token_and_renew_uses_the_email_given_with_it()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        var issued = await gateway.IssueTokenAsync(Email, TimeSpan.FromDays(30));

        var set = gateway.Onboarding.Set("Bearer " + issued.Token, Email);
        var statusAfterSet = gateway.Onboarding.Status();
        var renewed = await gateway.Onboarding.RenewAsync(Ct);

        Assert.True(set.Succeeded, set.Message);
        Assert.Contains("30 days left", set.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(issued.Token, set.Message, StringComparison.Ordinal);
        Assert.Equal(30, statusAfterSet.Status.DaysLeft);
        Assert.True(renewed.Succeeded, renewed.Message);
        Assert.Equal(90, gateway.Onboarding.Status().Status.DaysLeft);
    }

    [Fact]
    public async Task Onboarding_register_with_an_email_registered_already_says_so_and_renew_then_works()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.IssueTokenAsync(Email);

        var registered = await gateway.Onboarding.RegisterAsync(Email, "Shop", "Kiosk", Ct);
        var renewed = await gateway.Onboarding.RenewAsync(Ct);

        Assert.False(registered.Succeeded);
        Assert.Contains("already registered", registered.Message, StringComparison.Ordinal);
        Assert.True(renewed.Succeeded, renewed.Message);
        Assert.Equal(TokenState.Healthy, gateway.Onboarding.Status().Status.State);
    }

    [Fact]
    public async Task Onboarding_renew_for_an_email_bakong_never_registered_fails_with_bakongs_reason()
    {
        await using var gateway = await SandboxGateway.StartAsync(tokens: o => o.Email = "stranger@shop.kh");

        var renewed = await gateway.Onboarding.RenewAsync(Ct);

        Assert.False(renewed.Succeeded);
        Assert.Contains("Not registered yet", renewed.Message, StringComparison.Ordinal);
        Assert.Equal(TokenState.Missing, renewed.Status.State);
    }

    [Fact]
    public async Task Onboarding_verify_with_a_wrong_code_says_the_code_was_not_accepted()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.Onboarding.RegisterAsync(Email, "Shop", "Kiosk", Ct);

        var verified = await gateway.Onboarding.VerifyAsync("WRONGWRONGWRONGWRONG", Ct);

        Assert.False(verified.Succeeded);
        Assert.Equal(TokenState.Missing, verified.Status.State);
        Assert.Contains("did not accept that code", verified.Message, StringComparison.Ordinal);
    }
}
