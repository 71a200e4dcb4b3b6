using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bakong.Gateway.Tests.Access;
using Bakong.Grpc.Payments.V1;
using Bakong.Sandbox;
using Google.Rpc;
using Grpc.Core;
using IdentityRole = Bakong.Identity.ClientRole;

namespace Bakong.Gateway.Tests;

/// <summary>
/// <c>VerifyTransaction</c> end to end in Sandbox mode with keys: a receipt of a payment the gateway made, a transfer
/// to someone else, the same receipt twice, a short hash with the wrong money, Bakong down, and who may ask.
/// </summary>
public sealed class VerifyTransactionTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = ApiKeys.Gateway();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_paid_payments_receipt_is_found_by_its_full_hash_paid_to_this_merchant_and_linked_to_that_payment()
    {
        var key = _gateway.AddClient(IdentityRole.Terminal, "till-1");
        var paid = await PaidAsync(key, "sale-1", "till-1");

        var answer = await _gateway.PaymentsAs(key).VerifyTransactionAsync(
            new VerifyTransactionRequest { Hash = paid.BakongTransaction.Hash.ToUpperInvariant() }, cancellationToken: Ct);

        Assert.True(answer.Found);
        Assert.Equal(paid.BakongTransaction.Hash, answer.Transaction.Hash);
        Assert.Equal((paid.Amount.CurrencyCode, paid.Amount.Units), (answer.Transaction.Amount.CurrencyCode, answer.Transaction.Amount.Units));
        Assert.Equal("demo_shop@devb", answer.Transaction.ToAccountId);
        Assert.True(answer.PaidToMerchant);
        Assert.True(answer.LinkedToPayment);
        Assert.Equal(paid.PaymentId, answer.PaymentId);
        Assert.Null(answer.FirstVerification);
        Assert.Single(_gateway.Logs.Named("ReceiptVerified"));
    }

    [Fact]
    public async Task The_same_receipt_verified_again_is_flagged_with_when_and_at_which_terminal_it_was_first_verified()
    {
        var first = _gateway.AddClient(IdentityRole.Terminal, "till-1");
        var second = _gateway.AddClient(IdentityRole.Terminal, "till-2");
        var paid = await PaidAsync(first, "sale-2", "till-1");
        var verifiedAt = _gateway.Clock.GetUtcNow();
        var request = new VerifyTransactionRequest { Hash = paid.BakongTransaction.Hash };

        var once = await _gateway.PaymentsAs(first).VerifyTransactionAsync(request, cancellationToken: Ct);
        _gateway.Clock.Advance(TimeSpan.FromMinutes(3));
        var twice = await _gateway.PaymentsAs(second).VerifyTransactionAsync(request, cancellationToken: Ct);
        var thrice = await _gateway.PaymentsAs(first).VerifyTransactionAsync(request, cancellationToken: Ct);

        Assert.Null(once.FirstVerification);
        Assert.Equal(("till-1", verifiedAt), (twice.FirstVerification.TerminalId, twice.FirstVerification.VerifyTime.ToDateTimeOffset()));
        Assert.Equal(twice.FirstVerification, thrice.FirstVerification);

        // Till 2 may not see till 1's payment: it hears only that the transaction paid one.
        Assert.Equal((true, ""), (twice.LinkedToPayment, twice.PaymentId));
        Assert.Equal(paid.PaymentId, thrice.PaymentId);
    }

    [Fact]
    public async Task A_transfer_to_another_account_is_found_by_its_external_ref_but_not_paid_to_this_merchant()
    {
        var key = _gateway.AddClient(IdentityRole.Terminal, "till-1");
        await _gateway.PayAsync(new SandboxPayRequest
        {
            Md5 = "0123456789abcdef0123456789abcdef",
            Amount = 12.5m,
            Currency = "USD",
            ToAccountId = "someone_else@aclb",
            ExternalRef = "100FT99990000001",
        });

        var answer = await _gateway.PaymentsAs(key).VerifyTransactionAsync(
            new VerifyTransactionRequest { ExternalRef = "100FT99990000001" }, cancellationToken: Ct);

        Assert.True(answer.Found);
        Assert.Equal("someone_else@aclb", answer.Transaction.ToAccountId);
        Assert.Equal(("USD", 12L, 500_000_000), (answer.Transaction.Amount.CurrencyCode, answer.Transaction.Amount.Units, answer.Transaction.Amount.Nanos));
        Assert.False(answer.PaidToMerchant);
        Assert.False(answer.LinkedToPayment);
    }

    [Fact]
    public async Task A_short_hash_is_found_only_with_the_amount_and_currency_paid()
    {
        var key = _gateway.AddClient(IdentityRole.Terminal, "till-1");
        var paid = await PaidAsync(key, "sale-3", "till-1");
        var shortHash = paid.BakongTransaction.Hash[..8];

        var right = await VerifyShortHashAsync(key, shortHash, new Money { CurrencyCode = "KHR", Units = 5000 });
        var wrongAmount = await VerifyShortHashAsync(key, shortHash, new Money { CurrencyCode = "KHR", Units = 5001 });
        var wrongCurrency = await VerifyShortHashAsync(key, shortHash, new Money { CurrencyCode = "usd", Units = 5000 });

        Assert.Equal((true, paid.BakongTransaction.Hash, paid.PaymentId), (right.Found, right.Transaction.Hash, right.PaymentId));
        Assert.False(wrongAmount.Found);
        Assert.Null(wrongAmount.Transaction);
        Assert.False(wrongCurrency.Found);
    }

    [Fact]
    public async Task A_kiosk_key_is_refused_and_a_terminal_key_may_not_name_another_terminal()
    {
        var kiosk = _gateway.AddClient(IdentityRole.Kiosk, "kiosk-1");
        var terminal = _gateway.AddClient(IdentityRole.Terminal, "till-1");
        var request = new VerifyTransactionRequest { Hash = new string('a', 64) };

        var refused = await Assert.ThrowsAsync<RpcException>(() => _gateway.PaymentsAs(kiosk).VerifyTransactionAsync(request, cancellationToken: Ct).ResponseAsync);
        var notBound = await Assert.ThrowsAsync<RpcException>(() => _gateway.PaymentsAs(terminal).VerifyTransactionAsync(
            new VerifyTransactionRequest { Hash = new string('a', 64), TerminalId = "till-9" }, cancellationToken: Ct).ResponseAsync);
        var asOperator = await _gateway.PaymentsAs(_gateway.AddClient(IdentityRole.Operator)).VerifyTransactionAsync(request, cancellationToken: Ct);

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("kiosk", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, notBound.StatusCode);
        Assert.False(asOperator.Found);
    }

    [Fact]
    public async Task Bakong_down_is_unavailable_with_its_reason_and_nothing_is_recorded()
    {
        var key = _gateway.AddClient(IdentityRole.Terminal, "till-1");
        var paid = await PaidAsync(key, "sale-4", "till-1");
        await _gateway.SetFaultsAsync(new { geoBlocked = true });

        var down = await Assert.ThrowsAsync<RpcException>(() => _gateway.PaymentsAs(key).VerifyTransactionAsync(
            new VerifyTransactionRequest { Hash = paid.BakongTransaction.Hash }, cancellationToken: Ct).ResponseAsync);
        await _gateway.ClearFaultsAsync();
        var after = await _gateway.PaymentsAs(key).VerifyTransactionAsync(new VerifyTransactionRequest { Hash = paid.BakongTransaction.Hash }, cancellationToken: Ct);

        Assert.Equal(StatusCode.Unavailable, down.StatusCode);
        var info = down.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(("BAKONG_UNAVAILABLE", "GeoBlocked"), (info.Reason, info.Metadata["fault"]));
        Assert.True(after.Found);
        Assert.Null(after.FirstVerification);
    }

    [Fact]
    public async Task Over_rest_a_receipt_is_verified_and_a_bad_hash_is_a_400_naming_the_field_without_echoing_it()
    {
        var key = _gateway.AddClient(IdentityRole.Terminal, "till-1");
        var paid = await PaidAsync(key, "sale-5", "till-1");
        using var http = _gateway.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        using var found = await http.PostAsync(
            "/v1/transactions:verify", new StringContent($$"""{"hash":"{{paid.BakongTransaction.Hash}}"}""", Encoding.UTF8, "application/json"), Ct);
        using var bad = await http.PostAsync(
            "/v1/transactions:verify", new StringContent("""{"hash":"<zebra>not-a-hash"}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        using var body = JsonDocument.Parse(await found.Content.ReadAsStringAsync(Ct));
        Assert.Equal((true, true, paid.PaymentId), (body.RootElement.GetProperty("found").GetBoolean(), body.RootElement.GetProperty("paidToMerchant").GetBoolean(), body.RootElement.GetProperty("paymentId").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var error = await bad.Content.ReadAsStringAsync(Ct);
        Assert.Contains("\"field\":\"hash\"", error.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("zebra", error, StringComparison.Ordinal);
    }

    private Task<VerifyTransactionResponse> VerifyShortHashAsync(string key, string shortHash, Money amount) =>
        _gateway.PaymentsAs(key).VerifyTransactionAsync(
            new VerifyTransactionRequest { ShortHash = new ShortHashReceipt { Hash = shortHash, Amount = amount } }, cancellationToken: Ct).ResponseAsync;

    private async Task<Payment> PaidAsync(string key, string requestId, string terminal)
    {
        var payments = _gateway.PaymentsAs(key);
        var created = (await payments.CreatePaymentAsync(Requests.Create(requestId, 5000, terminal), cancellationToken: Ct)).Payment;
        await _gateway.CheckedAsync(created.PaymentId, checks: 1);
        await _gateway.PayAsync(created.Khqr);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        await _gateway.Store.SavedAsync(created.PaymentId, p => p.State == Bakong.Payments.PaymentState.Paid).WaitAsync(GatewayFactory.Timeout, Ct);
        return (await payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)).Payment;
    }
}
