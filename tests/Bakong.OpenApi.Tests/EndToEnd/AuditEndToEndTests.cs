using System.Text;
using Bakong.Sandbox;
using Microsoft.Extensions.Logging.Testing;

namespace Bakong.OpenApi.Tests.EndToEnd;

/// <summary>What the LiteDB audit and the log keep of real calls to the sandbox, and what they never keep.</summary>
public sealed class AuditEndToEndTests
{
    private const string Email = "ops@shop.kh";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;


    [Fact]
    public async Task Every_attempt_is_one_audit_record_with_endpoint_md5_http_status_and_bakongs_codes_and_message()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync(Email);
        var unpaid = gateway.DynamicQr(1m);
        var paid = gateway.DynamicQr(2m);
        var failed = gateway.DynamicQr(3m);
        await gateway.PayAsync(new SandboxPayRequest { Qr = paid.Qr });
        await gateway.FailAsync(new SandboxFailRequest { Qr = failed.Qr });

        await gateway.Client.CheckTransactionByMd5Async(unpaid.Md5, Ct);
        await gateway.Client.CheckTransactionByMd5Async(paid.Md5, Ct);
        await gateway.Client.CheckTransactionByMd5Async(failed.Md5, Ct);
        await gateway.Client.CheckBakongAccountAsync("nobody_here@devb", Ct);
        await gateway.FaultsAsync(new { serverErrorRate = 1.0, serverErrorStatus = 502 });
        await gateway.Client.CheckTransactionByMd5Async(unpaid.Md5, Ct);

        var records = await gateway.AuditAsync();
        var bySubject = records.ToLookup(r => r.Subject);

        var notFound = Assert.Single(bySubject[unpaid.Md5], r => r.HttpStatus == 200);
        Assert.Equal(
            ("/v1/check_transaction_by_md5", 1, (int?)1, (int?)1, "Transaction could not be found. Please check and try again.", "BakongError"),
            (notFound.Endpoint, notFound.Attempt, notFound.ResponseCode, notFound.ErrorCode, notFound.ResponseMessage, notFound.Outcome));
        Assert.Equal(SandboxGateway.Start, notFound.Time);

        var success = Assert.Single(bySubject[paid.Md5]);
        Assert.Equal(
            (200, (int?)0, (int?)null, "Getting transaction successfully.", "Success"),
            (success.HttpStatus, success.ResponseCode, success.ErrorCode, success.ResponseMessage, success.Outcome));

        var failure = Assert.Single(bySubject[failed.Md5]);
        Assert.Equal((200, (int?)1, (int?)3, "Transaction failed."), (failure.HttpStatus, failure.ResponseCode, failure.ErrorCode, failure.ResponseMessage));

        var account = Assert.Single(bySubject["nobody_here@devb"]);
        Assert.Equal(("/v1/check_bakong_account", (int?)11, "Account ID not found"), (account.Endpoint, account.ErrorCode, account.ResponseMessage));

        var serverErrors = bySubject[unpaid.Md5].Where(r => r.HttpStatus == 502).ToArray();
        Assert.Equal([1, 2, 3], serverErrors.Select(r => r.Attempt));
        Assert.All(serverErrors, r => Assert.Equal(((int?)null, (int?)null, "ServerError"), (r.ResponseCode, r.ErrorCode, r.Outcome)));

        Assert.Equal(4 + 3, records.Count);
    }

    [Fact]
    public async Task No_token_or_verification_code_reaches_the_audit_database_the_token_database_or_a_rendered_log_message()
    {
        var (secrets, md5, logs, files, bytes) = await RunEverythingAsync();

        Assert.Contains(files, f => f.StartsWith("audit", StringComparison.Ordinal));
        Assert.Contains(files, f => f.StartsWith("tokens", StringComparison.Ordinal));
        Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(md5)) >= 0, "the audit database holds the md5s");
        var rendered = string.Join("\n", logs.Select(r => r.Message + " " + r.Exception));
        Assert.Contains(md5, rendered, StringComparison.Ordinal);
        foreach (var secret in secrets)
        {
            // The whole secret, and a token's signature alone: that is the part that makes a JWT usable.
            foreach (var part in new[] { secret, secret.Split('.')[^1] })
            {
                Assert.DoesNotContain(part, rendered, StringComparison.Ordinal);
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(part)) < 0, "a token or code is in a database file");
            }
        }
    }

    [Fact]
    public async Task No_token_reaches_the_structured_state_of_any_log_record_even_at_trace_level()
    {
        var (secrets, _, logs, _, _) = await RunEverythingAsync();

        var leaks = logs
            .Where(r => r.StructuredState?.Any(kv => secrets.Any(s => kv.Value?.Contains(s.Split('.')[^1], StringComparison.Ordinal) == true)) == true)
            .ToArray();
        Assert.Empty(leaks.Select(r => $"{r.Category} {r.Id}"));
    }

    /// <summary>
    /// Onboarding, checks, a list, a deeplink, a 401 renewal and a malformed answer, all logged at Trace; then the host
    /// stops (flushing the audit, closing both databases) and what was written is returned with every secret seen.
    /// </summary>
    private static async Task<(List<string> Secrets, string Md5, IReadOnlyList<FakeLogRecord> Logs, string[] Files, byte[] Bytes)> RunEverythingAsync()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        var secrets = new List<string>();
        await gateway.Onboarding.RegisterAsync(Email, "Shop", "Kiosk", Ct);
        var code = Assert.Single(await gateway.MailboxAsync(Email)).Code!;
        secrets.Add(code);
        Assert.True((await gateway.Onboarding.VerifyAsync(code, Ct)).Succeeded);
        Assert.True((await gateway.Onboarding.RenewAsync(Ct)).Succeeded);

        var qr = gateway.DynamicQr(5m);
        await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr });
        await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);
        await gateway.Client.CheckTransactionsByMd5Async([qr.Md5, gateway.DynamicQr(1m).Md5], Ct);
        await gateway.Client.GenerateDeeplinkAsync(qr.Qr, null, Ct);
        await gateway.FaultsAsync(new { expireAllTokensNow = true });
        Assert.True((await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct)).IsSuccess);
        await gateway.FaultsAsync(new { malformedJsonRate = 1.0 });
        await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);
        await gateway.ClearFaultsAsync();

        // Verify, renew, and the renewal after the 401: three tokens, the last one in use.
        secrets.AddRange((await gateway.MailboxAsync(Email)).Where(m => m.Token is not null).Select(m => m.Token!));
        Assert.Equal(1 + 3, secrets.Count);
        Assert.Equal(secrets[^1], await gateway.CurrentTokenAsync());
        Assert.NotEmpty(await gateway.AuditAsync());

        await gateway.StopHostAsync();
        var files = Directory.EnumerateFiles(gateway.Directory.Path).Select(f => Path.GetFileName(f)).Where(f => !f.EndsWith(".key", StringComparison.Ordinal)).ToArray();
        return (secrets, qr.Md5, gateway.Logs.GetSnapshot(), files, gateway.Directory.AllDatabaseBytes());
    }
}
