using Bakong.Grpc.Payments.V1;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Rpc.Tests;

/// <summary>
/// <c>VerifyTransaction</c>'s bad inputs, called directly: INVALID_ARGUMENT naming the field (google.rpc.BadRequest),
/// before anything asks Bakong (the harness's Bakong is a closed port), and never echoing what was sent.
/// </summary>
public sealed class VerifyTransactionEdgeCaseTests : IDisposable
{
    private const string Echo = "Zz<echo>";

    private readonly PaymentServiceHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    public static TheoryData<string, string> BadReceipts => new()
    {
        { "none", "receipt" },
        { "hash too short", "hash" },
        { "hash not hex", "hash" },
        { "hash far too long", "hash" },
        { "short hash of 9", "short_hash.hash" },
        { "short hash not hex", "short_hash.hash" },
        { "short hash without money", "short_hash.amount" },
        { "short hash in euro", "short_hash.amount.currency_code" },
        { "short hash of a tenth of a cent", "short_hash.amount.nanos" },
        { "short hash of half a riel", "short_hash.amount.nanos" },
        { "short hash of nothing", "short_hash.amount.units" },
        { "external ref with a space", "external_ref" },
        { "external ref of 65", "external_ref" },
        { "terminal with a slash", "terminal_id" },
    };

    [Theory]
    [MemberData(nameof(BadReceipts))]
    public async Task A_bad_receipt_is_invalid_argument_naming_the_field_without_echoing_it(string receipt, string field)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _harness.CallAsync<VerifyTransactionRequest, VerifyTransactionResponse>(
            _harness.Service.VerifyTransaction, Request(receipt)));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal(field, violation.Field);
        Assert.DoesNotContain("echo", violation.Description + e.Status.Detail, StringComparison.Ordinal);
    }

    private static VerifyTransactionRequest Request(string receipt)
    {
        var hex8 = "1a2b3c4d";
        var usd = new Money { CurrencyCode = "USD", Units = 12, Nanos = 500_000_000 };
        return receipt switch
        {
            "none" => new VerifyTransactionRequest(),
            "hash too short" => new VerifyTransactionRequest { Hash = hex8 },
            "hash not hex" => new VerifyTransactionRequest { Hash = Echo + new string('a', 64 - Echo.Length) },
            "hash far too long" => new VerifyTransactionRequest { Hash = string.Concat(Enumerable.Repeat(Echo, 10_000)) },
            "short hash of 9" => new VerifyTransactionRequest { ShortHash = new ShortHashReceipt { Hash = hex8 + "e", Amount = usd } },
            "short hash not hex" => new VerifyTransactionRequest { ShortHash = new ShortHashReceipt { Hash = Echo, Amount = usd } },
            "short hash without money" => new VerifyTransactionRequest { ShortHash = new ShortHashReceipt { Hash = hex8 } },
            "short hash in euro" => new VerifyTransactionRequest { ShortHash = new ShortHashReceipt { Hash = hex8, Amount = new Money { CurrencyCode = Echo, Units = 1 } } },
            "short hash of a tenth of a cent" => new VerifyTransactionRequest
            {
                ShortHash = new ShortHashReceipt { Hash = hex8, Amount = new Money { CurrencyCode = "USD", Units = 1, Nanos = 1_000_000 } },
            },
            "short hash of half a riel" => new VerifyTransactionRequest
            {
                ShortHash = new ShortHashReceipt { Hash = hex8, Amount = new Money { CurrencyCode = "KHR", Units = 1, Nanos = 500_000_000 } },
            },
            "short hash of nothing" => new VerifyTransactionRequest { ShortHash = new ShortHashReceipt { Hash = hex8, Amount = new Money { CurrencyCode = "KHR" } } },
            "external ref with a space" => new VerifyTransactionRequest { ExternalRef = "100FT " + Echo },
            "external ref of 65" => new VerifyTransactionRequest { ExternalRef = new string('1', 65) },
            "terminal with a slash" => new VerifyTransactionRequest { Hash = new string('a', 64), TerminalId = "till/" + Echo },
            _ => throw new ArgumentOutOfRangeException(nameof(receipt), receipt, null),
        };
    }
}
