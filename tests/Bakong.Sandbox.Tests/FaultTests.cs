using System.Net;
using System.Text.Json;

namespace Bakong.Sandbox.Tests;

public sealed class FaultTests
{
    private static readonly object s_anyMd5 = new { md5 = "0dbe08d3829a8b6b59844e51aa38a4e2" };

    [Fact]
    public async Task Latency_holds_the_answer_until_the_clock_has_moved_that_far()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        await sandbox.FaultsAsync(new { latencyMs = 2000 });

        var call = sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token);
        await sandbox.State.WaitForHeldRequestsAsync(1, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        sandbox.Time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(call.IsCompleted);
        sandbox.Time.Advance(TimeSpan.FromMilliseconds(1));
        var answer = await call.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(1, answer.ErrorCode);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task A_server_error_rate_of_1_answers_every_call_with_that_status_and_an_html_page(int status)
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        await sandbox.FaultsAsync(new { serverErrorRate = 1.0, serverErrorStatus = status });

        var answer = await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token);

        Assert.Equal(status, (int)answer.Status);
        Assert.Equal("text/html", answer.MediaType);
        Assert.Contains($"<title>{status} ", answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_rate_of_1_answers_every_call_too_many_requests()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        await sandbox.FaultsAsync(new { tooManyRequestsRate = 1.0 });

        var answers = new[]
        {
            await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token),
            await sandbox.BakongAsync("renew_token", new { email = "x@y.kh" }),
        };

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.TooManyRequests, a.Status));
    }

    [Fact]
    public async Task The_timeout_fault_holds_the_request_until_the_client_gives_up()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        await sandbox.FaultsAsync(new { timeoutRate = 1.0 });
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var call = sandbox.BakongUntilAsync("check_transaction_by_md5", s_anyMd5, token, giveUp.Token);
        await sandbox.State.WaitForHeldRequestsAsync(1, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        sandbox.Time.Advance(TimeSpan.FromMinutes(4));
        Assert.False(call.IsCompleted);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_request_held_past_the_hold_limit_gets_an_nginx_504()
    {
        await using var sandbox = await SandboxHarness.StartAsync(o => o.TimeoutHoldLimit = TimeSpan.FromSeconds(30));
        var token = await sandbox.TokenAsync();
        await sandbox.FaultsAsync(new { timeoutRate = 1.0 });

        var call = sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token);
        await sandbox.State.WaitForHeldRequestsAsync(1, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        sandbox.Time.Advance(TimeSpan.FromSeconds(30));
        var answer = await call.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.GatewayTimeout, answer.Status);
    }

    [Fact]
    public async Task Malformed_json_arrives_as_a_200_that_does_not_parse()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        await sandbox.FaultsAsync(new { malformedJsonRate = 1.0 });

        var answer = await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("application/json", answer.MediaType);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(answer.Body));
    }

    [Fact]
    public async Task The_md5_list_403_blocks_only_the_md5_list_endpoint_with_nginx_html()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        await sandbox.FaultsAsync(new { md5ListForbidden = true });

        var list = await sandbox.BakongAsync("check_transaction_by_md5_list", new[] { "0dbe08d3829a8b6b59844e51aa38a4e2" }, token);
        var hashList = await sandbox.BakongAsync("check_transaction_by_hash_list", new[] { new string('0', 64) }, token);
        var single = await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token);

        Assert.Equal(HttpStatusCode.Forbidden, list.Status);
        Assert.Equal("text/html", list.MediaType);
        Assert.Contains("<center>nginx</center>", list.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, hashList.Status);
        Assert.Equal(HttpStatusCode.OK, single.Status);
    }

    [Fact]
    public async Task The_geo_block_answers_every_bakong_endpoint_403_html_but_leaves_the_control_api_alone()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        await sandbox.FaultsAsync(new { geoBlocked = true });

        var answers = new[]
        {
            await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token),
            await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5),
            await sandbox.BakongAsync("renew_token", new { email = "x@y.kh" }),
            await sandbox.BakongAsync("check_bakong_account", new { accountId = "x@y" }),
        };
        var (control, _) = await sandbox.SendAsync(HttpMethod.Get, "control/faults");

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.Forbidden, "text/html"), (a.Status, a.MediaType)));
        Assert.Equal(HttpStatusCode.OK, control);
    }

    [Fact]
    public async Task Expiring_all_tokens_refuses_every_token_issued_so_far_but_not_later_ones()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var old = await sandbox.TokenAsync("dev@shop.kh");
        await sandbox.FaultsAsync(new { expireAllTokensNow = true });

        var refused = await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, old);
        var renewed = (await sandbox.BakongAsync("renew_token", new { email = "dev@shop.kh" })).Data.GetProperty("token").GetString();
        var accepted = await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, renewed);
        var (_, faults) = await sandbox.SendAsync(HttpMethod.Get, "control/faults");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        Assert.Equal(sandbox.Time.GetUtcNow().ToUnixTimeMilliseconds(), SandboxHarness.Json(faults).GetProperty("tokensExpiredAtMs").GetInt64());
    }

    [Fact]
    public async Task Faults_read_back_as_set_and_invalid_ones_are_refused()
    {
        await using var sandbox = await SandboxHarness.StartAsync();

        await sandbox.FaultsAsync(new { latencyMs = 150, serverErrorRate = 0.25 });
        var (_, body) = await sandbox.SendAsync(HttpMethod.Get, "control/faults");
        var (invalid, _) = await sandbox.SendAsync(HttpMethod.Put, "control/faults", new { timeoutRate = 1.5 });
        var (cleared, clearedBody) = await sandbox.SendAsync(HttpMethod.Delete, "control/faults");

        var faults = SandboxHarness.Json(body);
        Assert.Equal(150, faults.GetProperty("latencyMs").GetInt32());
        Assert.Equal(0.25, faults.GetProperty("serverErrorRate").GetDouble());
        Assert.Equal(0, faults.GetProperty("tooManyRequestsRate").GetDouble());
        Assert.Equal(HttpStatusCode.BadRequest, invalid);
        Assert.Equal(HttpStatusCode.OK, cleared);
        Assert.Equal(0, SandboxHarness.Json(clearedBody).GetProperty("latencyMs").GetInt32());
    }

    [Fact]
    public async Task Fault_rates_draw_from_the_seed_so_two_sandboxes_with_one_seed_fail_the_same_calls()
    {
        var outcomes = new List<HttpStatusCode[]>();
        for (var run = 0; run < 2; run++)
        {
            await using var sandbox = await SandboxHarness.StartAsync(o => o.Seed = 42);
            var token = await sandbox.TokenAsync();
            await sandbox.FaultsAsync(new { serverErrorRate = 0.5 });
            var statuses = new HttpStatusCode[20];
            for (var i = 0; i < statuses.Length; i++)
            {
                statuses[i] = (await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token)).Status;
            }

            outcomes.Add(statuses);
        }

        Assert.Equal(outcomes[0], outcomes[1]);
        Assert.Contains(HttpStatusCode.OK, outcomes[0]);
        Assert.Contains(HttpStatusCode.InternalServerError, outcomes[0]);
    }
}
