using System.Text.Json;
using Bakong.Cli.Payments;
using Bakong.Grpc.Payments.V1;

namespace Bakong.Cli.Tests.Payments;

/// <summary><c>bakong verify</c> against the in-process gateway: what it prints, its JSON, and its exit codes.</summary>
[Collection(nameof(GatewayHostedTests))]
public sealed class VerifyCommandTests : IAsyncLifetime
{
    private readonly CliGateway _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Verify_by_short_hash_exits_0_the_first_time_and_5_when_the_receipt_is_shown_again()
    {
        var paid = await PaidAsync();
        string[] args = ["verify", "--short-hash", paid.BakongTransaction.Hash[..8].ToUpperInvariant(), "--amount", "12.50", "--currency", "usd", "--terminal", "POS-01"];

        var first = await _gateway.RunAsync(args);
        var again = await _gateway.RunAsync([.. args, "--json"]);

        Assert.Equal(VerifyReceiptCommand.Verified, first.ExitCode);
        Assert.Contains("Transaction  " + paid.BakongTransaction.Hash, first.Output, StringComparison.Ordinal);
        Assert.Contains("Amount       12.50 USD", first.Output, StringComparison.Ordinal);
        Assert.Contains("Payment      " + paid.PaymentId, first.Output, StringComparison.Ordinal);
        Assert.StartsWith("VERIFIED: paid to this merchant", first.OutputLines[^1], StringComparison.Ordinal);
        Assert.Equal(VerifyReceiptCommand.VerifiedBefore, again.ExitCode);
        using var json = JsonDocument.Parse(Assert.Single(again.OutputLines));
        Assert.Equal("POS-01", json.RootElement.GetProperty("firstVerification").GetProperty("terminalId").GetString());
        Assert.Equal(paid.PaymentId, json.RootElement.GetProperty("paymentId").GetString());
    }

    [Fact]
    public async Task Verify_exits_3_when_bakong_has_no_such_transaction_and_4_when_it_paid_another_account()
    {
        await _gateway.Host.PayAsync(new global::Bakong.Sandbox.SandboxPayRequest
        {
            Md5 = "fedcba9876543210fedcba9876543210",
            Amount = 4400m,
            Currency = "KHR",
            ToAccountId = "someone_else@aclb",
            ExternalRef = "100FT12345678901",
        });

        var missing = await _gateway.RunAsync("verify", "--hash", new string('0', 64));
        var elsewhere = await _gateway.RunAsync("verify", "--external-ref", "100FT12345678901");

        Assert.Equal(VerifyReceiptCommand.NotFound, missing.ExitCode);
        Assert.StartsWith("NOT FOUND", missing.Output, StringComparison.Ordinal);
        Assert.Equal(VerifyReceiptCommand.NotThisMerchant, elsewhere.ExitCode);
        Assert.Contains("someone_else@aclb   (NOT this merchant's account)", elsewhere.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_with_a_bad_hash_exits_2_naming_the_field_and_without_one_lookup_is_a_usage_error()
    {
        var bad = await _gateway.RunAsync("verify", "--hash", "xyz");
        var none = await _gateway.RunAsync("verify");
        var loose = await _gateway.RunAsync("verify", "--short-hash", "1a2b3c4d");

        Assert.Equal(ExitCodes.BadInput, bad.ExitCode);
        Assert.Equal("INVALID_ARGUMENT: hash: must be exactly 64 hex digits, got 3 characters", Assert.Single(bad.ErrorLines));
        Assert.NotEqual(0, none.ExitCode);
        Assert.Contains("exactly one of --short-hash, --hash or --external-ref", none.Error, StringComparison.Ordinal);
        Assert.Contains("--short-hash needs --amount and --currency", loose.Error, StringComparison.Ordinal);
    }

    private async Task<Payment> PaidAsync()
    {
        var run = _gateway.Launch(Ct, "pay", "--amount", "12.50", "--currency", "USD", "--terminal", "POS-01", "--no-qr");
        var id = (await run.Output.LineAsync("Payment ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        await _gateway.WaitForFirstCheckAsync(id);
        var created = (await _gateway.Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = id }, cancellationToken: Ct)).Payment;
        await _gateway.PayAsync(created.Khqr);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        Assert.Equal(0, await run.ExitCodeAsync());
        return (await _gateway.Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = id }, cancellationToken: Ct)).Payment;
    }
}
