using Bakong.Khqr;

namespace Bakong.Testing;

/// <summary>
/// The sample KHQR payloads (the sandbox's demo merchant) as a merchant's app makes them: for the sandbox tests' harness
/// and parts alone, and the OpenApi tests' sandbox.
/// </summary>
public static class TestQrs
{
    public const string MerchantAccount = "merchant_shop@devb";

    /// <summary>A dynamic QR that expires 10 minutes after <paramref name="time"/>'s now.</summary>
    public static KhqrCode Dynamic(TimeProvider time, decimal amount, KhqrCurrency currency = KhqrCurrency.Usd, string account = MerchantAccount, string? bill = null) =>
        Generate(time, new KhqrRequest
        {
            Type = KhqrMerchantType.Individual,
            BakongAccountId = account,
            MerchantName = "Sandbox Shop",
            MerchantCity = "Phnom Penh",
            Currency = currency,
            Amount = amount,
            BillNumber = bill ?? "INV-" + Guid.NewGuid().ToString("N")[..8],
            ExpirationTimestamp = time.GetUtcNow().AddMinutes(10).ToUnixTimeMilliseconds(),
        });

    public static KhqrCode Static(TimeProvider time, string account = MerchantAccount) =>
        Generate(time, new KhqrRequest
        {
            Type = KhqrMerchantType.Individual,
            BakongAccountId = account,
            MerchantName = "Sandbox Shop",
            MerchantCity = "Phnom Penh",
            Currency = KhqrCurrency.Khr,
        });

    private static KhqrCode Generate(TimeProvider time, KhqrRequest request)
    {
        var result = new KhqrGenerator(time).Generate(request);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }
}
