using Bakong.Khqr;
using Bakong.OpenApi.Client;
using Bakong.Sandbox;

namespace Bakong.OpenApi.Tests.EndToEnd;

/// <summary>Every authenticated endpoint through the real client against the sandbox over loopback HTTP.</summary>
public sealed class TransactionEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_unpaid_qr_is_not_found_and_once_the_customer_pays_it_the_md5_check_returns_the_qr_amount_currency_and_receiver()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.DynamicQr(12.34m);

        var before = await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);
        var payment = await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr });
        var after = await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);

        Assert.True(before.IsSuccess, before.Failure);
        Assert.IsType<TransactionCheck.NotFound>(before.Value);
        Assert.True(after.IsSuccess, after.Failure);
        var paid = Assert.IsType<TransactionCheck.Paid>(after.Value).Transaction;
        Assert.Equal(12.34m, paid.Amount);
        Assert.Equal("USD", paid.Currency);
        Assert.Equal(SandboxGateway.MerchantAccount, paid.ToAccountId);
        Assert.Equal("abaakhppxxx@abaa", paid.FromAccountId);
        Assert.Equal(payment.Transaction.Hash, paid.Hash);
        Assert.Equal(payment.Transaction.ExternalRef, paid.ExternalRef);
        Assert.Equal(gateway.Time.GetUtcNow(), paid.CreatedAt);
        Assert.Equal(gateway.Time.GetUtcNow(), paid.AcknowledgedAt);
    }

    [Fact]
    public async Task A_khr_qr_paid_through_the_sandbox_state_reports_its_riel_amount()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.DynamicQr(4400m, KhqrCurrency.Khr);

        gateway.State.Pay(new SandboxPayRequest { Qr = qr.Qr });
        var result = await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);

        var paid = Assert.IsType<TransactionCheck.Paid>(result.Value).Transaction;
        Assert.Equal((4400m, "KHR"), (paid.Amount, paid.Currency));
    }

    [Fact]
    public async Task A_payment_acknowledged_later_stays_not_found_until_the_fake_clock_reaches_it()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.DynamicQr(3m);
        await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr, DelayMs = 5000 });

        var early = await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);
        gateway.Time.Advance(TimeSpan.FromSeconds(5));
        var late = await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);

        Assert.IsType<TransactionCheck.NotFound>(early.Value);
        var paid = Assert.IsType<TransactionCheck.Paid>(late.Value).Transaction;
        Assert.Equal(TimeSpan.FromSeconds(5), paid.AcknowledgedAt - paid.CreatedAt);
    }

    [Fact]
    public async Task A_failed_payment_is_reported_as_failed()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.DynamicQr(5m);

        await gateway.FailAsync(new SandboxFailRequest { Qr = qr.Qr });
        var result = await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);

        Assert.True(result.IsSuccess, result.Failure);
        var failed = Assert.IsType<TransactionCheck.Failed>(result.Value);
        Assert.Equal("Transaction failed.", failed.Message);
    }

    [Fact]
    public async Task A_static_qr_cannot_be_tracked_by_md5_even_once_paid()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.StaticQr();

        var payment = await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr, Amount = 10_000m });
        var byMd5 = await gateway.Client.CheckTransactionByMd5Async(qr.Md5, Ct);
        var byHash = await gateway.Client.CheckTransactionByHashAsync(payment.Transaction.Hash, Ct);

        Assert.True(byMd5.IsSuccess, byMd5.Failure);
        Assert.IsType<TransactionCheck.StaticQrUnsupported>(byMd5.Value);
        Assert.Equal(10_000m, Assert.IsType<TransactionCheck.Paid>(byHash.Value).Transaction.Amount);
    }

    [Fact]
    public async Task A_list_of_120_md5s_is_sent_in_chunks_of_50_and_every_md5_gets_its_own_status()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qrs = Enumerable.Range(0, 120).Select(i => gateway.DynamicQr(1m + i)).ToArray();
        var paid = qrs.Where((_, i) => i % 3 == 0).ToArray();
        var failed = qrs.Where((_, i) => i % 3 == 1 && i % 2 == 0).ToArray();
        var staticQr = gateway.StaticQr();
        foreach (var qr in paid)
        {
            await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr });
        }

        foreach (var qr in failed)
        {
            await gateway.FailAsync(new SandboxFailRequest { Qr = qr.Qr });
        }

        gateway.State.RegisterQr(staticQr.Qr);

        // The static QR takes the place of the last dynamic one: still 120 md5s, 3 chunks.
        var md5s = qrs[..119].Select(q => q.Md5).Append(staticQr.Md5).ToArray();
        var results = await gateway.Client.CheckTransactionsByMd5Async(md5s, Ct);
        var listCalls = await gateway.AuditAsync("check_transaction_by_md5_list");

        Assert.Equal(120, results.Count);
        Assert.All(results.Values, r => Assert.True(r.IsSuccess, r.Failure));
        for (var i = 0; i < 119; i++)
        {
            var result = results[qrs[i].Md5].Value;
            if (i % 3 == 0)
            {
                var transaction = Assert.IsType<TransactionCheck.Paid>(result).Transaction;
                Assert.Equal((1m + i, "USD", SandboxGateway.MerchantAccount), (transaction.Amount, transaction.Currency, transaction.ToAccountId));
            }
            else if (i % 3 == 1 && i % 2 == 0)
            {
                Assert.IsType<TransactionCheck.Failed>(result);
            }
            else
            {
                Assert.IsType<TransactionCheck.NotFound>(result);
            }
        }

        Assert.IsType<TransactionCheck.StaticQrUnsupported>(results[staticQr.Md5].Value);
        Assert.Equal(["20 md5s", "50 md5s", "50 md5s"], listCalls.Select(r => r.Subject).Order());
        Assert.All(listCalls, r => Assert.Equal(200, r.HttpStatus));
        Assert.Empty(await gateway.AuditAsync("check_transaction_by_md5"));
    }

    [Fact]
    public async Task The_md5_list_merges_duplicates_whatever_their_case()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.DynamicQr(2m);
        await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr });

        var results = await gateway.Client.CheckTransactionsByMd5Async([qr.Md5, qr.Md5.ToUpperInvariant()], Ct);

        var result = Assert.Single(results);
        Assert.IsType<TransactionCheck.Paid>(result.Value.Value);
    }

    [Fact]
    public async Task A_paid_transaction_is_found_by_full_hash_short_hash_with_amount_and_currency_and_hash_list()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.DynamicQr(7.5m);
        var other = gateway.DynamicQr(8m);
        var payment = await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr });
        var otherPayment = await gateway.PayAsync(new SandboxPayRequest { Qr = other.Qr });
        var hash = payment.Transaction.Hash;
        var unknownHash = new string('0', 64);

        var byHash = await gateway.Client.CheckTransactionByHashAsync(hash, Ct);
        var byShortHash = await gateway.Client.CheckTransactionByShortHashAsync(hash[..8], 7.5m, "USD", Ct);
        var wrongAmount = await gateway.Client.CheckTransactionByShortHashAsync(hash[..8], 7.49m, "USD", Ct);
        var wrongCurrency = await gateway.Client.CheckTransactionByShortHashAsync(hash[..8], 7.5m, "KHR", Ct);
        var unknown = await gateway.Client.CheckTransactionByHashAsync(unknownHash, Ct);
        var list = await gateway.Client.CheckTransactionsByHashAsync([hash, otherPayment.Transaction.Hash, unknownHash], Ct);

        Assert.Equal(hash, Assert.IsType<TransactionCheck.Paid>(byHash.Value).Transaction.Hash);
        Assert.Equal(qr.Md5, payment.Md5);
        var shortHashTransaction = Assert.IsType<TransactionCheck.Paid>(byShortHash.Value).Transaction;
        Assert.Equal((hash, 7.5m), (shortHashTransaction.Hash, shortHashTransaction.Amount));
        Assert.IsType<TransactionCheck.NotFound>(wrongAmount.Value);
        Assert.IsType<TransactionCheck.NotFound>(wrongCurrency.Value);
        Assert.IsType<TransactionCheck.NotFound>(unknown.Value);
        Assert.Equal(3, list.Count);
        Assert.Equal(7.5m, Assert.IsType<TransactionCheck.Paid>(list[hash].Value).Transaction.Amount);
        Assert.Equal(8m, Assert.IsType<TransactionCheck.Paid>(list[otherPayment.Transaction.Hash].Value).Transaction.Amount);
        Assert.IsType<TransactionCheck.NotFound>(list[unknownHash].Value);
    }

    [Fact]
    public async Task A_paid_transaction_is_found_by_its_instruction_ref_and_by_its_external_ref()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        var qr = gateway.DynamicQr(9m);
        var payment = await gateway.PayAsync(new SandboxPayRequest { Qr = qr.Qr, InstructionRef = "INSTR-2026-0001" });
        var externalRef = payment.Transaction.ExternalRef!;

        var byInstruction = await gateway.Client.CheckTransactionByInstructionRefAsync("INSTR-2026-0001", Ct);
        var byExternal = await gateway.Client.CheckTransactionByExternalRefAsync(externalRef, Ct);
        var unknownInstruction = await gateway.Client.CheckTransactionByInstructionRefAsync("INSTR-NOPE", Ct);
        var unknownExternal = await gateway.Client.CheckTransactionByExternalRefAsync("100FT00000000000", Ct);

        Assert.StartsWith("100FT", externalRef, StringComparison.Ordinal);
        var instructionTransaction = Assert.IsType<TransactionCheck.Paid>(byInstruction.Value).Transaction;
        Assert.Equal(("INSTR-2026-0001", payment.Transaction.Hash), (instructionTransaction.InstructionRef, instructionTransaction.Hash));
        var externalTransaction = Assert.IsType<TransactionCheck.Paid>(byExternal.Value).Transaction;
        Assert.Equal((externalRef, 9m), (externalTransaction.ExternalRef, externalTransaction.Amount));
        Assert.IsType<TransactionCheck.NotFound>(unknownInstruction.Value);
        Assert.IsType<TransactionCheck.NotFound>(unknownExternal.Value);
    }

    [Fact]
    public async Task A_deeplink_is_generated_for_a_qr_without_any_token_and_a_partial_source_info_is_a_bakong_error()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        var qr = gateway.DynamicQr(1.5m);
        var source = new DeeplinkSourceInfo(new Uri("https://shop.example/icon.png"), "Sandbox Shop", new Uri("https://shop.example/paid"));

        var plain = await gateway.Client.GenerateDeeplinkAsync(qr.Qr, null, Ct);
        var withSource = await gateway.Client.GenerateDeeplinkAsync(qr.Qr, source, Ct);
        var withPartialSource = await gateway.Client.GenerateDeeplinkAsync(
            qr.Qr, new DeeplinkSourceInfo(new Uri("https://shop.example/icon.png"), "", new Uri("https://shop.example/paid")), Ct);

        Assert.True(plain.IsSuccess, plain.Failure);
        Assert.StartsWith("https://bakongsandbox.page.link/", plain.Value.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(plain.Value, withSource.Value);
        Assert.Equal(5, withPartialSource.ErrorCode);
        Assert.Null(await gateway.CurrentTokenAsync());
    }

    [Fact]
    public async Task A_deeplink_provider_failure_is_bakong_error_4_with_its_message_and_no_link()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.FaultsAsync(new { deeplinkProviderError = true });

        var result = await gateway.Client.GenerateDeeplinkAsync(gateway.DynamicQr(2m).Qr, null, Ct);

        Assert.False(result.IsSuccess);
        Assert.Null(result.Value);
        Assert.Equal((4, "Error occurred on requesting deeplink from provider."), (result.ErrorCode, result.Message));
        Assert.Equal("Bakong error 4: Error occurred on requesting deeplink from provider.", result.Failure);
    }

    [Fact]
    public async Task The_account_check_finds_a_qr_receiver_and_tells_an_unknown_account_from_an_invalid_id()
    {
        await using var gateway = await SandboxGateway.StartAsync();
        await gateway.UseNewTokenAsync();
        gateway.State.RegisterQr(gateway.DynamicQr(1m).Qr);

        var exists = await gateway.Client.CheckBakongAccountAsync(SandboxGateway.MerchantAccount, Ct);
        var unknown = await gateway.Client.CheckBakongAccountAsync("nobody_here@devb", Ct);
        var invalid = await gateway.Client.CheckBakongAccountAsync("not-an-account-id", Ct);

        Assert.Equal(BakongAccountState.Exists, exists.Value?.State);
        Assert.Equal("Account ID exists", exists.Value?.Message);
        Assert.Equal(BakongAccountState.NotFound, unknown.Value?.State);
        Assert.Equal(BakongAccountState.Invalid, invalid.Value?.State);
    }

    [Fact]
    public async Task Without_a_token_a_check_is_refused_before_any_http_call_with_a_hint_how_to_get_one()
    {
        await using var gateway = await SandboxGateway.StartAsync();

        var result = await gateway.Client.CheckTransactionByMd5Async(gateway.DynamicQr(1m).Md5, Ct);

        Assert.Equal(BakongFaultKind.Unauthorized, result.Fault?.Kind);
        Assert.Contains("bakong token register", result.Failure, StringComparison.Ordinal);
        Assert.Empty(await gateway.AuditAsync());
    }
}
