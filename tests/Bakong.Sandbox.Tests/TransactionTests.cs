using System.Net;
using System.Text.Json;
using Bakong.Khqr;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bakong.Sandbox.Tests;

public sealed class TransactionTests
{
    private static readonly string[] s_transactionFields =
    [
        "hash", "fromAccountId", "toAccountId", "currency", "amount", "description", "createdDateMs",
        "acknowledgedDateMs", "trackingStatus", "receiverBank", "receiverBankAccount", "instructionRef", "externalRef",
    ];

    [Fact]
    public async Task A_qr_is_not_found_until_the_customer_pays_it_then_succeeds_with_the_qrs_amount_currency_and_account()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var qr = sandbox.DynamicQr(12.5m, KhqrCurrency.Usd);

        var before = await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = qr.Md5 }, token);
        await sandbox.PayAsync(new { qr = qr.Qr });
        var after = await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = qr.Md5 }, token);

        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal(
            """{"responseCode":1,"responseMessage":"Transaction could not be found. Please check and try again.","errorCode":1,"data":null}""",
            before.Body);
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Equal((0, (int?)null), (after.ResponseCode, after.ErrorCode));
        Assert.Equal("Getting transaction successfully.", after.Json.GetProperty("responseMessage").GetString());
        var data = after.Data;
        Assert.Equal(s_transactionFields, data.EnumerateObject().Select(p => p.Name));
        Assert.Equal(12.5m, data.GetProperty("amount").GetDecimal());
        Assert.Equal("USD", data.GetProperty("currency").GetString());
        Assert.Equal(SandboxHarness.MerchantAccount, data.GetProperty("toAccountId").GetString());
        Assert.Equal("abaakhppxxx@abaa", data.GetProperty("fromAccountId").GetString());
        Assert.Matches("^[0-9a-f]{64}$", data.GetProperty("hash").GetString());
        Assert.Equal(sandbox.Time.GetUtcNow().ToUnixTimeMilliseconds(), data.GetProperty("createdDateMs").GetInt64());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("trackingStatus").ValueKind);
        Assert.StartsWith("100FT", data.GetProperty("externalRef").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_khr_qr_pays_its_whole_riel_amount()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var qr = sandbox.DynamicQr(4400m, KhqrCurrency.Khr);

        await sandbox.PayAsync(new { qr = qr.Qr });
        var data = (await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = qr.Md5 }, token)).Data;

        Assert.Equal("4400", data.GetProperty("amount").GetRawText());
        Assert.Equal("KHR", data.GetProperty("currency").GetString());
    }

    [Fact]
    public async Task Paying_a_registered_md5_with_a_wrong_amount_reports_the_amount_paid()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var qr = sandbox.DynamicQr(10m);
        await sandbox.ControlOkAsync("control/qrs", new { qr = qr.Qr });

        await sandbox.PayAsync(new { md5 = qr.Md5, amount = 9.99m });
        var data = (await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = qr.Md5 }, token)).Data;

        Assert.Equal(9.99m, data.GetProperty("amount").GetDecimal());
        Assert.Equal("USD", data.GetProperty("currency").GetString());
        Assert.Equal(SandboxHarness.MerchantAccount, data.GetProperty("toAccountId").GetString());
    }

    [Fact]
    public async Task An_unregistered_md5_is_paid_with_what_is_given_and_refused_without_an_amount()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        const string Md5 = "5154e4f795634ff1a0ae4b48e53a6d9c";

        var (refused, _) = await sandbox.SendAsync(HttpMethod.Post, "control/pay", new { md5 = Md5 });
        await sandbox.PayAsync(new { md5 = Md5, amount = 3m, currency = "KHR", toAccountId = "someone@devb", description = "Cashier-01" });
        var data = (await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = Md5 }, token)).Data;

        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Equal("someone@devb", data.GetProperty("toAccountId").GetString());
        Assert.Equal("Cashier-01", data.GetProperty("description").GetString());
    }

    [Fact]
    public async Task A_payment_with_a_delay_is_not_found_until_bakong_acknowledges_it()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var qr = sandbox.DynamicQr(1m);
        var paidAt = sandbox.Time.GetUtcNow().ToUnixTimeMilliseconds();

        await sandbox.PayAsync(new { qr = qr.Qr, delayMs = 3000 });
        sandbox.Time.Advance(TimeSpan.FromMilliseconds(2999));
        var early = await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = qr.Md5 }, token);
        sandbox.Time.Advance(TimeSpan.FromMilliseconds(1));
        var onTime = await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = qr.Md5 }, token);

        Assert.Equal(1, early.ErrorCode);
        Assert.Null(onTime.ErrorCode);
        Assert.Equal(paidAt, onTime.Data.GetProperty("createdDateMs").GetInt64());
        Assert.Equal(paidAt + 3000, onTime.Data.GetProperty("acknowledgedDateMs").GetInt64());
    }

    [Fact]
    public async Task A_failed_payment_answers_error_3()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var qr = sandbox.DynamicQr(1m);

        await sandbox.ControlOkAsync("control/fail", new { qr = qr.Qr });
        var answer = await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = qr.Md5 }, token);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("""{"responseCode":1,"responseMessage":"Transaction failed.","errorCode":3,"data":null}""", answer.Body);
    }

    [Fact]
    public async Task A_static_qr_answers_error_2_on_md5_checks_even_when_paid_but_is_found_by_hash()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var qr = sandbox.StaticQr();
        await sandbox.ControlOkAsync("control/qrs", new { qr = qr.Qr });

        var unpaid = await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = qr.Md5 }, token);
        var (refused, _) = await sandbox.SendAsync(HttpMethod.Post, "control/pay", new { md5 = qr.Md5 });
        await sandbox.PayAsync(new { md5 = qr.Md5, amount = 5000m });
        var paid = await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = qr.Md5 }, token);
        var hash = sandbox.State.Payments.Single().Transaction.Hash;
        var byHash = await sandbox.BakongAsync("check_transaction_by_hash", new { hash }, token);

        Assert.Equal(
            """{"responseCode":1,"responseMessage":"Sorry, the system does not support static QR code.","errorCode":2,"data":null}""",
            unpaid.Body);
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Equal(2, paid.ErrorCode);
        Assert.Equal(5000m, byHash.Data.GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task A_paid_transaction_is_found_by_hash_short_hash_instruction_ref_and_external_ref()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var qr = sandbox.DynamicQr(2.5m);
        await sandbox.PayAsync(new { qr = qr.Qr, instructionRef = "00001234", externalRef = "100FT35340355905" });
        var hash = sandbox.State.Payments.Single().Transaction.Hash;

        var answers = new[]
        {
            await sandbox.BakongAsync("check_transaction_by_hash", new { hash }, token),
            await sandbox.BakongAsync("check_transaction_by_short_hash", new { hash = hash[..8], amount = 2.5, currency = "USD" }, token),
            await sandbox.BakongAsync("check_transaction_by_instruction_ref", new { instructionRef = "00001234" }, token),
            await sandbox.BakongAsync("check_transaction_by_external_ref", new { externalRef = "100FT35340355905" }, token),
        };
        var wrongAmount = await sandbox.BakongAsync("check_transaction_by_short_hash", new { hash = hash[..8], amount = 2.4, currency = "USD" }, token);
        var missing = await sandbox.BakongAsync("check_transaction_by_short_hash", new { hash = hash[..8] }, token);

        Assert.All(answers, answer => Assert.Equal(hash, answer.Data.GetProperty("hash").GetString()));
        Assert.Equal(1, wrongAmount.ErrorCode);
        Assert.Equal((HttpStatusCode.BadRequest, 5), (missing.Status, missing.ErrorCode));
    }

    [Fact]
    public async Task A_qr_is_paid_once_and_an_expired_one_only_when_forced()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var paid = sandbox.DynamicQr(1m);
        var expired = sandbox.DynamicQr(1m);
        await sandbox.PayAsync(new { qr = paid.Qr });
        sandbox.Time.Advance(TimeSpan.FromMinutes(11));

        var (twice, _) = await sandbox.SendAsync(HttpMethod.Post, "control/pay", new { qr = paid.Qr });
        var (late, _) = await sandbox.SendAsync(HttpMethod.Post, "control/pay", new { qr = expired.Qr });
        var (forced, _) = await sandbox.SendAsync(HttpMethod.Post, "control/pay", new { qr = expired.Qr, force = true });

        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict, HttpStatusCode.OK), (twice, late, forced));
    }

    [Fact]
    public async Task The_payments_list_shows_what_was_paid_and_failed()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var paid = sandbox.DynamicQr(1m);
        var failed = sandbox.DynamicQr(2m);
        await sandbox.PayAsync(new { qr = paid.Qr });
        await sandbox.ControlOkAsync("control/fail", new { md5 = failed.Md5 });

        var (_, body) = await sandbox.SendAsync(HttpMethod.Get, "control/payments");
        var payments = SandboxHarness.Json(body).EnumerateArray().ToList();

        Assert.Equal([paid.Md5, failed.Md5], payments.Select(p => p.GetProperty("md5").GetString()));
        Assert.Equal(["PAID", "FAILED"], payments.Select(p => p.GetProperty("status").GetString()));
        Assert.Equal(1m, payments[0].GetProperty("transaction").GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task Reset_forgets_payments_but_keeps_tokens()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var qr = sandbox.DynamicQr(1m);
        await sandbox.PayAsync(new { qr = qr.Qr });

        var (status, _) = await sandbox.SendAsync(HttpMethod.Post, "control/reset");
        var answer = await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = qr.Md5 }, token);

        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Equal(1, answer.ErrorCode);
    }

    [Fact]
    public async Task Reset_also_clears_the_faults_and_restarts_the_seed_but_keeps_the_mailbox_and_known_accounts()
    {
        await using var sandbox = await SandboxHarness.StartAsync(o => o.Seed = 7);
        var fresh = new SandboxState(Options.Create(new SandboxOptions { Seed = 7 }), sandbox.Time, NullLogger<SandboxState>.Instance);
        var qr = sandbox.DynamicQr(1m, account: "paid_shop@devb");
        var token = await sandbox.TokenAsync("dev@shop.kh");
        await sandbox.ControlOkAsync("control/accounts", new { accountId = "added@devb" });
        await sandbox.PayAsync(new { qr = qr.Qr });
        await sandbox.FaultsAsync(new { serverErrorRate = 0.5 });

        var (status, _) = await sandbox.SendAsync(HttpMethod.Post, "control/reset");
        var repaid = sandbox.State.Pay(new SandboxPayRequest { Qr = qr.Qr }).Transaction;
        var firstOfSeed = fresh.Pay(new SandboxPayRequest { Qr = qr.Qr }).Transaction;
        var accounts = new[]
        {
            await sandbox.BakongAsync("check_bakong_account", new { accountId = "added@devb" }),
            await sandbox.BakongAsync("check_bakong_account", new { accountId = "paid_shop@devb" }),
        };

        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Equal(SandboxFaults.None, sandbox.State.Faults);
        Assert.Equal((firstOfSeed.Hash, firstOfSeed.ExternalRef), (repaid.Hash, repaid.ExternalRef));
        Assert.All(accounts, a => Assert.Equal(0, a.ResponseCode));
        Assert.Equal(token, Assert.Single(sandbox.State.Mailbox("dev@shop.kh")).Token);
    }
}
