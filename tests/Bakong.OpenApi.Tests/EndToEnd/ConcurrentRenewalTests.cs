using Bakong.OpenApi.Client;
using Bakong.Sandbox;

namespace Bakong.OpenApi.Tests.EndToEnd;

/// <summary>Many callers rejected with 401 at once share one renewal through the sandbox's renew_token.</summary>
public sealed class ConcurrentRenewalTests
{
    private const string Email = "ops@shop.kh";
    private const int Callers = 20;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Twenty_checks_rejected_with_401_at_the_same_moment_cause_exactly_one_renewal_and_all_succeed()
    {
        await using var gateway = await SandboxGateway.StartAsync(client: o => o.MaxConcurrentCalls = Callers);
        var old = await gateway.UseNewTokenAsync(Email);
        var qrs = Enumerable.Range(0, Callers).Select(i => gateway.DynamicQr(1m + i)).ToArray();
        foreach (var qr in qrs.Where((_, i) => i % 2 == 0))
        {
            await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr });
        }

        await gateway.FaultsAsync(new { expireAllTokensNow = true, latencyMs = 1000 });

        // Every check is in flight with the old token before any of them is answered: the sandbox holds them all,
        // then the clock releases them together, so twenty 401s arrive at once.
        var checks = qrs.Select(qr => gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct)).ToArray();
        await gateway.WaitForHeldRequestsAsync(Callers);
        await gateway.ClearFaultsAsync();
        gateway.Time.Advance(TimeSpan.FromSeconds(1));
        var results = await Task.WhenAll(checks).WaitAsync(SandboxGateway.SignalTimeout, Ct);

        for (var i = 0; i < Callers; i++)
        {
            Assert.True(results[i].IsSuccess, results[i].Failure);
            if (i % 2 == 0)
            {
                Assert.Equal(1m + i, Assert.IsType<TransactionCheck.Paid>(results[i].Value).Transaction.Amount);
            }
            else
            {
                Assert.IsType<TransactionCheck.NotFound>(results[i].Value);
            }
        }

        var renewals = await gateway.AuditAsync("renew_token");
        var checkAttempts = await gateway.AuditAsync("check_transaction_by_md5");
        var tokenMails = (await gateway.MailboxAsync(Email)).Where(m => m.Kind == "token").ToArray();
        Assert.Single(renewals);
        Assert.Equal(2, tokenMails.Length);
        Assert.Equal(old, tokenMails[0].Token);
        Assert.Equal(tokenMails[1].Token, await gateway.CurrentTokenAsync());
        Assert.Equal(Callers, checkAttempts.Count(a => a is { Attempt: 1, HttpStatus: 401, ErrorCode: 6 }));
        Assert.Equal(Callers, checkAttempts.Count(a => a is { Attempt: 2, HttpStatus: 200 }));
        Assert.Equal(Callers * 2, checkAttempts.Count);
    }

    [Fact]
    public async Task Twenty_concurrent_checks_with_an_expired_token_and_the_default_concurrency_limit_renew_once()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        var old = await gateway.UseNewTokenAsync(Email);
        var md5s = Enumerable.Range(0, Callers).Select(i => gateway.DynamicQr(1m + i).Md5).ToArray();
        await gateway.FaultsAsync(new { expireAllTokensNow = true });

        var results = await Task.WhenAll(md5s.Select(md5 => gateway.Client.CheckTransactionByMd5Async(md5, Ct)))
            .WaitAsync(SandboxGateway.SignalTimeout, Ct);

        Assert.All(results, r => Assert.IsType<TransactionCheck.NotFound>(r.Value));
        Assert.Single(await gateway.AuditAsync("renew_token"));
        Assert.Equal(2, (await gateway.MailboxAsync(Email)).Count(m => m.Kind == "token"));
        Assert.NotEqual(old, await gateway.CurrentTokenAsync());
        var checkAttempts = await gateway.AuditAsync("check_transaction_by_md5");
        Assert.InRange(checkAttempts.Count(a => a.HttpStatus == 401), 1, Callers);
        Assert.Equal(Callers, checkAttempts.Count(a => a.HttpStatus == 200));
    }
}
