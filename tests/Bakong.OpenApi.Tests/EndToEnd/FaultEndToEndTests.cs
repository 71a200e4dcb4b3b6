using Bakong.OpenApi.Client;
using Bakong.Sandbox;

namespace Bakong.OpenApi.Tests.EndToEnd;

/// <summary>Every fault the sandbox injects, as the client sees it over loopback HTTP, with the attempts in the audit.</summary>
public sealed class FaultEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Latency_within_the_attempt_timeout_still_gets_the_answer_and_the_audit_shows_the_latency()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.DynamicQr(4m);
        await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr });
        await gateway.FaultsAsync(new { latencyMs = 3000 });

        var call = gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);
        await gateway.WaitForHeldRequestsAsync(1);
        gateway.Time.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.False(call.IsCompleted);
        gateway.Time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await call.WaitAsync(SandboxGateway.SignalTimeout, Ct);

        Assert.Equal(4m, Assert.IsType<TransactionCheck.Paid>(result.Value).Transaction.Amount);
        var attempt = Assert.Single(await gateway.AuditAsync());
        Assert.Equal((1, 200, "Success"), (attempt.Attempt, attempt.HttpStatus, attempt.Outcome));
        Assert.Equal(TimeSpan.FromSeconds(3), attempt.Latency);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Server_errors_are_retried_twice_then_reported_as_a_server_error_fault(int status)
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var md5 = gateway.DynamicQr(1m).Md5;
        await gateway.FaultsAsync(new { serverErrorRate = 1.0, serverErrorStatus = status });

        var result = await gateway.Client.CheckTransactionByMd5Async(md5, Ct);

        Assert.Equal(BakongFaultKind.ServerError, result.Fault?.Kind);
        Assert.Equal(status, result.Fault?.HttpStatus);
        var attempts = await gateway.AuditAsync("check_transaction_by_md5");
        Assert.Equal([1, 2, 3], attempts.Select(a => a.Attempt));
        Assert.All(attempts, a => Assert.Equal((md5, status, "ServerError"), (a.Subject, a.HttpStatus, a.Outcome)));
    }

    [Fact]
    public async Task Too_many_requests_are_retried_twice_then_reported_as_rate_limited()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var md5 = gateway.DynamicQr(1m).Md5;
        await gateway.FaultsAsync(new { tooManyRequestsRate = 1.0 });

        var result = await gateway.Client.CheckTransactionByMd5Async(md5, Ct);

        Assert.Equal(BakongFaultKind.RateLimited, result.Fault?.Kind);
        Assert.Equal(429, result.Fault?.HttpStatus);
        var attempts = await gateway.AuditAsync("check_transaction_by_md5");
        Assert.Equal([1, 2, 3], attempts.Select(a => a.Attempt));
        Assert.All(attempts, a => Assert.Equal((429, "RateLimited"), (a.HttpStatus, a.Outcome)));
    }

    [Fact]
    public async Task At_a_50_percent_server_error_rate_the_retries_turn_failed_attempts_into_answers()
    {
        await using var gateway = await SandboxGateway.StartAsync(client: o => o.CircuitBreakerMinimumThroughput = 10_000);
        await gateway.UseNewTokenAsync();
        var md5 = gateway.DynamicQr(1m).Md5;

        // Half the calls fail: with three attempts per check, twenty checks all get their answer sooner or later
        // unless one draws three failures in a row; the seed makes the draws the same every run.
        await gateway.FaultsAsync(new { serverErrorRate = 0.5, seed = 3 });
        var results = new List<BakongResult<TransactionCheck>>();
        for (var i = 0; i < 20; i++)
        {
            results.Add(await gateway.Client.CheckTransactionByMd5Async(md5, Ct));
        }

        var attempts = await gateway.AuditAsync("check_transaction_by_md5");
        var answered = results.Count(r => r.IsSuccess);
        Assert.Equal(answered, attempts.Count(a => a.HttpStatus == 200));
        Assert.Contains(attempts, a => a.Attempt > 1 && a.HttpStatus == 200);
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Equal(BakongFaultKind.ServerError, r.Fault?.Kind));
    }

    [Fact]
    public async Task A_held_request_times_out_after_the_attempt_timeout_on_the_fake_clock()
    {
        await using var gateway = await SandboxGateway.StartAsync(client: o => o.RetryCount = 0);
        await gateway.UseNewTokenAsync();
        var md5 = gateway.DynamicQr(1m).Md5;
        await gateway.FaultsAsync(new { timeoutRate = 1.0 });

        var call = gateway.Client.CheckTransactionByMd5Async(md5, Ct);
        await gateway.WaitForHeldRequestsAsync(1);
        gateway.Time.Advance(TimeSpan.FromSeconds(4) - TimeSpan.FromMilliseconds(1));
        Assert.False(call.IsCompleted);
        gateway.Time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await call.WaitAsync(SandboxGateway.SignalTimeout, Ct);

        Assert.Equal(BakongFaultKind.Timeout, result.Fault?.Kind);
        Assert.Contains("attempt timeout 4 s", result.Failure, StringComparison.Ordinal);
        var attempt = Assert.Single(await gateway.AuditAsync());
        Assert.Equal((1, (int?)null, "Timeout", TimeSpan.FromSeconds(4)), (attempt.Attempt, attempt.HttpStatus, attempt.Outcome, attempt.Latency));
    }

    [Fact]
    public async Task A_timed_out_attempt_is_retried_and_the_retry_gets_the_answer()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.DynamicQr(6m);
        await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr });
        await gateway.FaultsAsync(new { timeoutRate = 1.0 });

        var call = gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);
        await gateway.WaitForHeldRequestsAsync(1);

        // Faults are drawn when a request arrives: the held one stays held, the retry is answered.
        await gateway.ClearFaultsAsync();
        gateway.Time.Advance(TimeSpan.FromSeconds(4));
        var result = await call.WaitAsync(SandboxGateway.SignalTimeout, Ct);

        Assert.Equal(6m, Assert.IsType<TransactionCheck.Paid>(result.Value).Transaction.Amount);
        var attempts = await gateway.AuditAsync();
        Assert.Equal([(1, "Timeout"), (2, "Success")], attempts.Select(a => (a.Attempt, a.Outcome)));
    }

    [Fact]
    public async Task Json_cut_in_half_is_reported_as_malformed_and_not_retried()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var md5 = gateway.DynamicQr(1m).Md5;
        await gateway.FaultsAsync(new { malformedJsonRate = 1.0 });

        var result = await gateway.Client.CheckTransactionByMd5Async(md5, Ct);
        var list = await gateway.Client.CheckTransactionsByMd5Async([md5], Ct);

        Assert.Equal(BakongFaultKind.Malformed, result.Fault?.Kind);
        Assert.Equal(BakongFaultKind.Malformed, list[md5].Fault?.Kind);
        var attempts = await gateway.AuditAsync();
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal((1, 200, "Malformed"), (a.Attempt, a.HttpStatus, a.Outcome)));
    }

    [Fact]
    public async Task When_only_the_md5_list_is_refused_with_403_html_the_client_falls_back_to_single_checks_with_the_right_answers()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qrs = Enumerable.Range(0, 6).Select(i => gateway.DynamicQr(10m + i)).ToArray();
        await gateway.PayAsync(new SandboxPayRequest { Qr = qrs[1].Qr });
        await gateway.PayAsync(new SandboxPayRequest { Qr = qrs[4].Qr });
        await gateway.FailAsync(new SandboxFailRequest { Qr = qrs[2].Qr });
        await gateway.FaultsAsync(new { md5ListForbidden = true });

        var first = await gateway.Client.CheckTransactionsByMd5Async(qrs[..3].Select(q => q.Md5), Ct);
        var second = await gateway.Client.CheckTransactionsByMd5Async(qrs[3..].Select(q => q.Md5), Ct);

        Assert.IsType<TransactionCheck.NotFound>(first[qrs[0].Md5].Value);
        Assert.Equal(11m, Assert.IsType<TransactionCheck.Paid>(first[qrs[1].Md5].Value).Transaction.Amount);
        Assert.IsType<TransactionCheck.Failed>(first[qrs[2].Md5].Value);
        Assert.IsType<TransactionCheck.NotFound>(second[qrs[3].Md5].Value);
        Assert.Equal(14m, Assert.IsType<TransactionCheck.Paid>(second[qrs[4].Md5].Value).Transaction.Amount);
        Assert.IsType<TransactionCheck.NotFound>(second[qrs[5].Md5].Value);

        // One refused list call; the second batch goes straight to single checks while the refusal is remembered.
        var listCall = Assert.Single(await gateway.AuditAsync("check_transaction_by_md5_list"));
        Assert.Equal((403, "GeoBlocked"), (listCall.HttpStatus, listCall.Outcome));
        Assert.Equal(6, (await gateway.AuditAsync("check_transaction_by_md5")).Count);
    }

    [Fact]
    public async Task The_md5_list_is_tried_again_once_the_fallback_period_has_passed_on_the_fake_clock()
    {
        await using var gateway = await SandboxGateway.StartAsync(client: o => o.Md5ListFallbackDuration = TimeSpan.FromMinutes(30));
        await gateway.UseNewTokenAsync();
        var md5s = Enumerable.Range(0, 3).Select(i => gateway.DynamicQr(1m + i).Md5).ToArray();
        await gateway.FaultsAsync(new { md5ListForbidden = true });
        await gateway.Client.CheckTransactionsByMd5Async(md5s, Ct);
        await gateway.ClearFaultsAsync();

        gateway.Time.Advance(TimeSpan.FromMinutes(29));
        await gateway.Client.CheckTransactionsByMd5Async(md5s, Ct);
        var listCallsWhileRemembered = (await gateway.AuditAsync("check_transaction_by_md5_list")).Count;
        gateway.Time.Advance(TimeSpan.FromMinutes(1));
        var results = await gateway.Client.CheckTransactionsByMd5Async(md5s, Ct);

        Assert.Equal(1, listCallsWhileRemembered);
        Assert.Equal([403, 200], (await gateway.AuditAsync("check_transaction_by_md5_list")).Select(a => a.HttpStatus));
        Assert.All(results.Values, r => Assert.IsType<TransactionCheck.NotFound>(r.Value));
    }

    [Fact]
    public async Task A_geo_blocked_client_gets_a_geo_blocked_fault_saying_only_cambodian_addresses_are_accepted()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.DynamicQr(1m);
        var md5s = Enumerable.Range(0, 5).Select(i => gateway.DynamicQr(1m + i).Md5).ToArray();
        await gateway.FaultsAsync(new { geoBlocked = true });

        var single = await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);
        var list = await gateway.Client.CheckTransactionsByMd5Async(md5s, Ct);
        var deeplink = await gateway.Client.GenerateDeeplinkAsync(qr.Qr, null, Ct);
        var account = await gateway.Client.CheckBakongAccountAsync(SandboxGateway.MerchantAccount, Ct);
        var renew = await gateway.Registration.RenewTokenAsync("ops@shop.kh", Ct);

        Assert.Equal(BakongFaultKind.GeoBlocked, single.Fault?.Kind);
        Assert.Equal(403, single.Fault?.HttpStatus);
        Assert.Contains("only accepts requests from Cambodian IP addresses", single.Failure, StringComparison.Ordinal);
        Assert.Contains("HTML", single.Failure, StringComparison.Ordinal);
        Assert.All(list.Values, r => Assert.Equal(BakongFaultKind.GeoBlocked, r.Fault?.Kind));
        Assert.Equal(BakongFaultKind.GeoBlocked, deeplink.Fault?.Kind);
        Assert.Equal(BakongFaultKind.GeoBlocked, account.Fault?.Kind);
        Assert.Equal(BakongFaultKind.GeoBlocked, renew.Fault?.Kind);

        // A blocked host does not turn a refused list into one call per md5: the list call and one probe.
        Assert.Single(await gateway.AuditAsync("check_transaction_by_md5_list"));
        Assert.Equal(2, (await gateway.AuditAsync("check_transaction_by_md5")).Count);
    }

    [Fact]
    public async Task When_the_sandbox_expires_every_token_the_client_renews_through_the_sandbox_and_the_check_succeeds()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        var old = await gateway.UseNewTokenAsync("ops@shop.kh");
        var qr = gateway.DynamicQr(2.5m);
        await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr });
        await gateway.FaultsAsync(new { expireAllTokensNow = true });

        var result = await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);

        Assert.Equal(2.5m, Assert.IsType<TransactionCheck.Paid>(result.Value).Transaction.Amount);
        var current = await gateway.CurrentTokenAsync();
        Assert.NotEqual(old, current);
        Assert.Equal([old, current], (await gateway.MailboxAsync("ops@shop.kh")).Select(m => m.Token));
        var attempts = await gateway.AuditAsync();
        Assert.Equal(
            [
                ("/v1/check_transaction_by_md5", 1, (int?)401, (int?)6, "Unauthorized"),
                ("/v1/check_transaction_by_md5", 2, 200, null, "Success"),
                ("/v1/renew_token", 1, 200, null, "Success"),
            ],
            attempts.Select(a => (a.Endpoint, a.Attempt, a.HttpStatus, a.ErrorCode, a.Outcome)).Order());
    }

    [Fact]
    public async Task An_expired_token_without_a_registered_email_is_an_unauthorized_fault_that_says_how_to_renew()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync(email: null);
        await gateway.FaultsAsync(new { expireAllTokensNow = true });

        var result = await gateway.Client.CheckTransactionByMd5Async(gateway.DynamicQr(1m).Md5, Ct);

        Assert.Equal(BakongFaultKind.Unauthorized, result.Fault?.Kind);
        Assert.Equal(401, result.Fault?.HttpStatus);
        Assert.Contains("bakong token renew", result.Failure, StringComparison.Ordinal);
        Assert.Empty(await gateway.AuditAsync("renew_token"));
    }

    [Fact]
    public async Task Repeated_server_errors_open_the_circuit_and_later_calls_are_refused_without_reaching_the_sandbox()
    {
        await using var gateway = await SandboxGateway.StartAsync(client: o =>
        {
            o.RetryCount = 0;
            o.CircuitBreakerMinimumThroughput = 4;
            o.CircuitBreakerFailureRatio = 0.5;
        });
        await gateway.UseNewTokenAsync();
        var md5 = gateway.DynamicQr(1m).Md5;
        await gateway.FaultsAsync(new { serverErrorRate = 1.0 });

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(BakongFaultKind.ServerError, (await gateway.Client.CheckTransactionByMd5Async(md5, Ct)).Fault?.Kind);
        }

        await gateway.ClearFaultsAsync();
        var refused = await gateway.Client.CheckTransactionByMd5Async(md5, Ct);
        var auditedWhileOpen = (await gateway.AuditAsync()).Count;
        gateway.Time.Advance(TimeSpan.FromSeconds(15));
        var probe = await gateway.Client.CheckTransactionByMd5Async(md5, Ct);

        Assert.Equal(BakongFaultKind.CircuitOpen, refused.Fault?.Kind);
        Assert.Equal(4, auditedWhileOpen);
        Assert.IsType<TransactionCheck.NotFound>(probe.Value);
    }
}
