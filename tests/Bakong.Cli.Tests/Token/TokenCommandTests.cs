using System.Text.Json;

namespace Bakong.Cli.Tests.Token;

public sealed class TokenCommandTests : IAsyncLifetime
{
    private const string Email = "owner@corner.kh";

    private SandboxedCli _cli = null!;

    public async ValueTask InitializeAsync() => _cli = await SandboxedCli.StartAsync();

    public ValueTask DisposeAsync() => _cli.DisposeAsync();

    [Fact]
    public async Task Register_says_a_code_was_emailed_and_how_to_verify_it()
    {
        var run = await _cli.TokenAsync("register", "--email", Email, "--organization", "Corner Shop", "--project", "POS");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Error);
        Assert.Contains($"verification code to {Email}", run.Output, StringComparison.Ordinal);
        Assert.Contains("bakong token verify --code <code>", run.Output, StringComparison.Ordinal);
        Assert.Contains($"{_cli.Url}/control/mailbox?email=", run.Output, StringComparison.Ordinal);
        Assert.Single(await _cli.MailboxAsync(Email), mail => mail.Kind == "verification-code");
    }

    [Fact]
    public async Task Verify_with_the_code_from_the_mailbox_saves_the_token_and_shows_its_expiry_but_never_the_token()
    {
        await _cli.TokenAsync("register", "--email", Email, "--organization", "Corner Shop", "--project", "POS");

        var run = await _cli.TokenAsync("verify", "--code", await _cli.LatestCodeAsync(Email));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("Token saved for Sandbox. It expires at 2026-04-01 00:00 UTC (90 days left).", Assert.Single(run.OutputLines));
        var token = Assert.Single(await _cli.TokensIssuedToAsync(Email));
        Assert.DoesNotContain(token, _cli.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_after_onboarding_shows_environment_expiry_days_left_and_email_and_exits_0()
    {
        await _cli.OnboardAsync(Email);

        var run = await _cli.TokenAsync("status");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            [
                "The Sandbox token is valid until 2026-04-01 00:00 UTC (90 days left).",
                "environment: sandbox",
                "state:       healthy",
                "expires:     2026-04-01 00:00 UTC",
                "days left:   90",
                "e-mail:      " + Email,
                "saved:       2026-01-01 00:00 UTC",
            ],
            run.OutputLines);
        Assert.DoesNotContain(Assert.Single(await _cli.TokensIssuedToAsync(Email)), _cli.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_json_is_one_object_with_environment_state_expiry_days_left_and_email()
    {
        await _cli.OnboardAsync(Email);

        var run = await _cli.TokenAsync("status", "--json");

        Assert.Equal(0, run.ExitCode);
        using var status = JsonDocument.Parse(Assert.Single(run.OutputLines));
        var root = status.RootElement;
        Assert.Equal(
            ["environment", "state", "expiresAt", "daysLeft", "email", "setAt", "renewed", "message"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("sandbox", root.GetProperty("environment").GetString());
        Assert.Equal("healthy", root.GetProperty("state").GetString());
        Assert.Equal("2026-04-01T00:00:00Z", root.GetProperty("expiresAt").GetString());
        Assert.Equal(90, root.GetProperty("daysLeft").GetInt32());
        Assert.Equal(Email, root.GetProperty("email").GetString());
        Assert.False(root.GetProperty("renewed").GetBoolean());
    }

    [Fact]
    public async Task Status_without_a_token_says_it_is_missing_exits_1_and_creates_no_files()
    {
        var run = await _cli.TokenAsync("status", "--json");

        Assert.Equal(1, run.ExitCode);
        using var status = JsonDocument.Parse(run.Output);
        Assert.Equal("missing", status.RootElement.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, status.RootElement.GetProperty("daysLeft").ValueKind);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cli.DataDirectory));
    }

    [Fact]
    public async Task Status_exits_1_when_the_token_expires_within_3_days()
    {
        await _cli.OnboardAsync(Email);
        _cli.Clock.Advance(TimeSpan.FromDays(88));

        var run = await _cli.TokenAsync("status");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("The Sandbox token expires at 2026-04-01 00:00 UTC (2 days left). Renew it with 'bakong token renew'.", run.OutputLines[0]);
        Assert.Contains("state:       expiring_soon", run.OutputLines);
    }

    [Fact]
    public async Task Status_exits_1_once_the_token_has_expired()
    {
        await _cli.OnboardAsync(Email);
        _cli.Clock.Advance(TimeSpan.FromDays(91));

        var run = await _cli.TokenAsync("status", "--json");

        Assert.Equal(1, run.ExitCode);
        using var status = JsonDocument.Parse(run.Output);
        Assert.Equal("expired", status.RootElement.GetProperty("state").GetString());
        Assert.Equal(-1, status.RootElement.GetProperty("daysLeft").GetInt32());
    }

    [Fact]
    public async Task Set_saves_a_token_received_by_email()
    {
        var issued = _cli.Sandbox.State.IssueToken(Email, TimeSpan.FromDays(30));

        var run = await _cli.TokenAsync("set", issued.Token);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("Token saved for Sandbox. It expires at 2026-01-31 00:00 UTC (30 days left).", Assert.Single(run.OutputLines));
        Assert.Equal(0, (await _cli.TokenAsync("status")).ExitCode);
        Assert.DoesNotContain(issued.Token, _cli.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_with_a_dash_reads_the_token_from_stdin()
    {
        var issued = _cli.Sandbox.State.IssueToken(Email);

        var run = await _cli.RunWithInputAsync(issued.Token + "\n", "token", "set", "-", "--data", _cli.DataDirectory, "--url", _cli.Url);

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("Token saved for Sandbox.", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(issued.Token, _cli.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_refuses_an_expired_token_with_exit_code_2_and_saves_nothing()
    {
        var issued = _cli.Sandbox.State.IssueToken(Email, TimeSpan.FromHours(1));
        _cli.Clock.Advance(TimeSpan.FromHours(2));

        var run = await _cli.TokenAsync("set", issued.Token);

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.StartsWith("That token expired at 2026-01-01 01:00 UTC; it was not saved.", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(1, (await _cli.TokenAsync("status")).ExitCode);
        Assert.DoesNotContain(issued.Token, _cli.AllOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("123456")]
    [InlineData("abc.def.ghi")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9 .eyJleHAiOjF9.sig")]
    public async Task Set_refuses_what_is_not_a_jwt_with_exit_code_2(string garbage)
    {
        var run = await _cli.TokenAsync("set", garbage);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("That is not a Bakong token", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(1, (await _cli.TokenAsync("status")).ExitCode);
    }

    [Fact]
    public async Task Renew_gets_a_new_token_for_the_registered_email()
    {
        await _cli.OnboardAsync(Email);
        _cli.Clock.Advance(TimeSpan.FromDays(88));

        var run = await _cli.TokenAsync("renew");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("Token renewed for Sandbox. It expires at 2026-06-28 00:00 UTC (90 days left).", Assert.Single(run.OutputLines));
        var status = await _cli.TokenAsync("status", "--json");
        Assert.Equal(0, status.ExitCode);
        using var json = JsonDocument.Parse(status.Output);
        Assert.True(json.RootElement.GetProperty("renewed").GetBoolean());
        var tokens = await _cli.TokensIssuedToAsync(Email);
        Assert.Equal(2, tokens.Count);
        Assert.All(tokens, token => Assert.DoesNotContain(token, _cli.AllOutput, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Renew_with_email_works_for_a_pasted_token_and_remembers_the_email()
    {
        var issued = _cli.Sandbox.State.IssueToken(Email);
        await _cli.TokenAsync("set", issued.Token);

        var first = await _cli.TokenAsync("renew", "--email", Email);
        var second = await _cli.TokenAsync("renew");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("e-mail:      " + Email, (await _cli.TokenAsync("status")).OutputLines);
    }

    [Fact]
    public async Task Renew_without_a_known_email_is_bad_input_with_exit_code_2()
    {
        await _cli.TokenAsync("set", _cli.Sandbox.State.IssueToken().Token);

        var run = await _cli.TokenAsync("renew");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            "No e-mail is registered for the sandbox token: give --email (the address registered with Bakong), or run 'bakong token register'.",
            Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Renew_for_an_email_bakong_does_not_know_is_refused_with_bakongs_error_and_exit_code_1()
    {
        var run = await _cli.TokenAsync("renew", "--email", "stranger@nowhere.kh");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("Bakong error 10: Not registered yet", Assert.Single(run.ErrorLines));
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task Verify_with_a_wrong_code_is_refused_with_exit_code_1()
    {
        await _cli.TokenAsync("register", "--email", Email, "--organization", "Corner Shop", "--project", "POS");

        var run = await _cli.TokenAsync("verify", "--code", "not-the-code");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("code", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(run.Output);
        Assert.Equal(1, (await _cli.TokenAsync("status")).ExitCode);
    }

    [Fact]
    public async Task Registering_an_email_twice_says_it_is_registered_and_what_to_do_with_exit_code_1()
    {
        await _cli.OnboardAsync(Email);

        var run = await _cli.TokenAsync("register", "--email", Email, "--organization", "Corner Shop", "--project", "POS");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            $"{Email} is already registered with Bakong. If you have its token, run 'bakong token set <token>'; otherwise run 'bakong token renew'.",
            Assert.Single(run.ErrorLines));
    }

    [Theory]
    [InlineData("--email", "not-an-email")]
    [InlineData("--email", "a-very-long-address@example-shop.kh")]
    [InlineData("--organization", " ")]
    public async Task Register_with_a_bad_field_is_bad_input_with_exit_code_2_and_calls_nobody(string option, string value)
    {
        Dictionary<string, string> fields = new() { ["--email"] = Email, ["--organization"] = "Corner Shop", ["--project"] = "POS" };
        fields[option] = value;

        var run = await _cli.TokenAsync(["register", .. fields.SelectMany(f => new[] { f.Key, f.Value })]);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith(option + " must be", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(await _cli.MailboxAsync(Email));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cli.DataDirectory));
    }

    [Fact]
    public async Task A_geo_blocked_bakong_is_reported_in_one_line_that_says_why_with_exit_code_1()
    {
        Assert.Equal(0, (await _cli.RunAsync("sandbox", "faults", "--geo-blocked", "--url", _cli.Url)).ExitCode);

        var run = await _cli.TokenAsync("register", "--email", Email, "--organization", "Corner Shop", "--project", "POS");

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains("only accepts requests from Cambodian IP addresses", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_bakong_is_reported_in_one_line_with_exit_code_1()
    {
        var run = await _cli.RunAsync("token", "renew", "--email", Email, "--data", _cli.DataDirectory, "--url", "http://127.0.0.1:1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("Cannot reach Bakong at http://127.0.0.1:1/ (ConnectionError).", Assert.Single(run.ErrorLines));
    }

    [Theory]
    [InlineData("--environment", "moon", "--environment must be sandbox, sit or production, not 'moon'.")]
    [InlineData("--url", "127.0.0.1:5081", "--url must be an absolute http or https URL, not '127.0.0.1:5081'.")]
    public async Task A_bad_environment_or_url_is_bad_input_with_exit_code_2(string option, string value, string message)
    {
        var run = await _cli.RunAsync("token", "status", option, value, "--data", _cli.DataDirectory);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(message, Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Each_environment_keeps_its_own_token()
    {
        await _cli.OnboardAsync(Email);

        var sit = await _cli.RunAsync("token", "status", "--environment", "sit", "--data", _cli.DataDirectory);

        Assert.Equal(1, sit.ExitCode);
        Assert.Equal("No Sit token. Get one with 'bakong token register' then 'bakong token verify', or paste one with 'bakong token set'.", sit.OutputLines[0]);
        Assert.Contains("environment: sit", sit.OutputLines);
    }

    [Fact]
    public async Task After_a_command_the_data_files_are_closed_so_the_gateway_can_open_them()
    {
        await _cli.OnboardAsync(Email);

        foreach (var file in Directory.EnumerateFiles(_cli.DataDirectory))
        {
            using var exclusive = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            Assert.True(exclusive.Length > 0, file);
        }
    }
}
