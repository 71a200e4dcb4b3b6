using System.Text.Json;
using Bakong.Cli.Tests.Token;

namespace Bakong.Cli.Tests.Audit;

public sealed class AuditListCommandTests : IAsyncLifetime
{
    private const string Email = "owner@corner.kh";

    private SandboxedCli _cli = null!;

    public async ValueTask InitializeAsync() => _cli = await SandboxedCli.StartAsync();

    public ValueTask DisposeAsync() => _cli.DisposeAsync();

    /// <summary>request_token at 00:00, verify at 00:01, renew_token at 00:02.</summary>
    private async Task ThreeTokenCallsAsync()
    {
        await _cli.TokenAsync("register", "--email", Email, "--organization", "Corner Shop", "--project", "POS");
        _cli.Clock.Advance(TimeSpan.FromMinutes(1));
        await _cli.TokenAsync("verify", "--code", await _cli.LatestCodeAsync(Email));
        _cli.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, (await _cli.TokenAsync("renew")).ExitCode);
    }

    [Fact]
    public async Task Lists_the_token_calls_newest_first_one_aligned_line_each_under_a_header()
    {
        await ThreeTokenCallsAsync();

        var run = await _cli.AuditAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Error);
        var lines = run.OutputLines;
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("TIME (UTC)", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("2026-01-01 00:02:00  /v1/renew_token    owner@corner.kh   200  0", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("2026-01-01 00:01:00  /v1/verify         -                 200  0", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("2026-01-01 00:00:00  /v1/request_token  owner@corner.kh   200  0", lines[3], StringComparison.Ordinal);
        Assert.All(lines[1..], line => Assert.Contains("Success", line, StringComparison.Ordinal));

        // Aligned: every column starts where its header does.
        var outcome = lines[0].IndexOf("OUTCOME", StringComparison.Ordinal);
        Assert.All(lines[1..], line => Assert.Equal("Success", line.Substring(outcome, 7)));
    }

    [Fact]
    public async Task Since_leaves_out_calls_older_than_the_duration()
    {
        await ThreeTokenCallsAsync();
        _cli.Clock.Advance(TimeSpan.FromHours(2));
        await _cli.TokenAsync("renew");

        var lastHour = await _cli.AuditAsync("--since", "1h");
        var lastThreeHours = await _cli.AuditAsync("--since", "3h");
        var lastDay = await _cli.AuditAsync("--since", "1d");

        Assert.Equal(2, lastHour.OutputLines.Length);
        Assert.StartsWith("2026-01-01 02:02:00  /v1/renew_token", lastHour.OutputLines[1], StringComparison.Ordinal);
        Assert.Equal(5, lastThreeHours.OutputLines.Length);
        Assert.Equal(lastThreeHours.Output, lastDay.Output);
    }

    [Fact]
    public async Task Since_defaults_to_the_last_hour()
    {
        await ThreeTokenCallsAsync();
        _cli.Clock.Advance(TimeSpan.FromMinutes(61));

        var run = await _cli.AuditAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["No calls to Bakong since 2026-01-01 00:03:00 UTC."], run.OutputLines);
    }

    [Theory]
    [InlineData("/v1/renew_token")]
    [InlineData("v1/renew_token")]
    [InlineData("renew_token")]
    public async Task Endpoint_keeps_only_that_endpoints_calls(string endpoint)
    {
        await ThreeTokenCallsAsync();
        _cli.Clock.Advance(TimeSpan.FromMinutes(1));
        await _cli.TokenAsync("renew");

        var run = await _cli.AuditAsync("--endpoint", endpoint);

        Assert.Equal(3, run.OutputLines.Length);
        Assert.All(run.OutputLines[1..], line => Assert.Contains("  /v1/renew_token  ", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Limit_keeps_the_newest_calls()
    {
        await ThreeTokenCallsAsync();

        var run = await _cli.AuditAsync("--limit", "1");

        Assert.Equal(2, run.OutputLines.Length);
        Assert.Contains("/v1/renew_token", run.OutputLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_prints_one_object_per_call_and_line_newest_first()
    {
        await ThreeTokenCallsAsync();

        var run = await _cli.AuditAsync("--json");

        Assert.Equal(0, run.ExitCode);
        var rows = run.OutputLines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(["/v1/renew_token", "/v1/verify", "/v1/request_token"], rows.Select(r => r.GetProperty("endpoint").GetString()));
        var renew = rows[0];
        Assert.Equal(
            ["time", "endpoint", "subject", "httpStatus", "responseCode", "errorCode", "responseMessage", "latencyMs", "attempt", "outcome"],
            renew.EnumerateObject().Select(p => p.Name));
        Assert.Equal("2026-01-01T00:02:00.000Z", renew.GetProperty("time").GetString());
        Assert.Equal(Email, renew.GetProperty("subject").GetString());
        Assert.Equal(200, renew.GetProperty("httpStatus").GetInt32());
        Assert.Equal(0, renew.GetProperty("responseCode").GetInt32());
        Assert.Equal(JsonValueKind.Null, renew.GetProperty("errorCode").ValueKind);
        Assert.Equal(1, renew.GetProperty("attempt").GetInt32());
        Assert.Equal("Success", renew.GetProperty("outcome").GetString());

        // The verification code is as good as a token until used: the verify row names no subject.
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("subject").ValueKind);
    }

    [Fact]
    public async Task Refused_and_failed_calls_are_listed_with_bakongs_codes_and_the_fault()
    {
        await _cli.TokenAsync("renew", "--email", "stranger@nowhere.kh");
        _cli.Clock.Advance(TimeSpan.FromMinutes(1));
        await _cli.RunAsync("sandbox", "faults", "--geo-blocked", "--url", _cli.Url);
        await _cli.TokenAsync("renew", "--email", "stranger@nowhere.kh");

        var run = await _cli.AuditAsync("--json");

        var rows = run.OutputLines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(403, rows[0].GetProperty("httpStatus").GetInt32());
        Assert.Equal("GeoBlocked", rows[0].GetProperty("outcome").GetString());
        Assert.Equal(1, rows[1].GetProperty("responseCode").GetInt32());
        Assert.Equal(10, rows[1].GetProperty("errorCode").GetInt32());
        Assert.Equal("Not registered yet", rows[1].GetProperty("responseMessage").GetString());

        var table = await _cli.AuditAsync();
        Assert.Contains("  1/10  ", table.OutputLines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_output_ever_contains_a_token()
    {
        await ThreeTokenCallsAsync();
        await _cli.TokenAsync("status");
        await _cli.TokenAsync("status", "--json");
        await _cli.AuditAsync();
        await _cli.AuditAsync("--json");

        var tokens = await _cli.TokensIssuedToAsync(Email);

        Assert.Equal(2, tokens.Count);
        Assert.All(tokens, token => Assert.DoesNotContain(token, _cli.AllOutput, StringComparison.Ordinal));
        Assert.DoesNotContain("eyJ", _cli.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_no_audit_yet_it_says_so_exits_0_and_creates_nothing()
    {
        var run = await _cli.AuditAsync("--since", "30s");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["No calls to Bakong since 2025-12-31 23:59:30 UTC."], run.OutputLines);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cli.DataDirectory));
        Assert.Empty((await _cli.AuditAsync("--json")).Output);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("h")]
    [InlineData("1w")]
    [InlineData("-1h")]
    [InlineData("1.5h")]
    public async Task Since_must_be_a_number_and_s_m_h_or_d(string since)
    {
        var run = await _cli.AuditAsync("--since", since);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"--since takes a number and s, m, h or d, e.g. 30s, 15m, 1h or 2d, not '{since}'.", Assert.Single(run.ErrorLines));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("100001")]
    public async Task Limit_must_be_1_to_100000(string limit)
    {
        var run = await _cli.AuditAsync("--limit", limit);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("--limit must be 1 to 100000.", Assert.Single(run.ErrorLines));
    }
}
