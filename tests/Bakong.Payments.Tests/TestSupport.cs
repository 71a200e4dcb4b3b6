using Bakong.Khqr;
using Bakong.OpenApi.Client;
using Bakong.Payments.Configuration;
using Bakong.Payments.Creation;
using Bakong.Payments.Storage;
using Bakong.Payments.Writing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Payments.Tests;

/// <summary>A directory of its own under the temp folder, deleted with everything in it.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bakong-payments-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal static class TestPayments
{
    public const string Account = "shop@aclb";

    public static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    public static Payment New(
        DateTimeOffset? createTime = null,
        string? requestId = null,
        Money? money = null,
        string terminalId = "till-1",
        TimeSpan? expiresIn = null,
        string merchantProfileId = Payment.DefaultMerchantProfileId,
        string? purpose = null,
        string? posBillNumber = null)
    {
        var created = createTime ?? Start;
        var lifetime = expiresIn ?? TimeSpan.FromMinutes(5);
        var id = PaymentIds.NewPaymentId();
        var parameters = new PaymentParameters
        {
            TerminalId = terminalId,
            Money = money ?? Money.Create(KhqrCurrency.Usd, 1.50m),
            OrderRef = "order-1",
            ExpiresIn = lifetime,
            StoreLabel = "Store",
            TerminalLabel = "Till 1",
            PurposeOfTransaction = purpose,
            BillNumber = posBillNumber,
        };
        return Payment.Create(
            id,
            requestId ?? "req-" + id,
            PaymentParametersHash.Compute(parameters),
            parameters,
            PaymentIds.BillNumberFor(id),
            Account,
            "qr-" + id,
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)))[..32],
            created,
            created + lifetime,
            merchantProfileId);
    }

    public static BakongTransaction Transaction(
        decimal amount = 1.50m, string currency = "USD", string? to = Account, string hash = "aa11") => new()
    {
        Hash = hash,
        Currency = currency,
        Amount = amount,
        ToAccountId = to,
        FromAccountId = "payer@abaa",
        Description = "lunch",
        CreatedDateMs = 1_772_000_000_000,
        AcknowledgedDateMs = 1_772_000_002_000,
        TrackingStatus = "ACKNOWLEDGED_BY_FI",
        ReceiverBank = "Dev Bank",
        ReceiverBankAccount = "8****123",
        InstructionRef = "ins-1",
        ExternalRef = "100FT1",
    };

    public static MerchantProfile Merchant(bool merchantQr = false) => new()
    {
        Id = Payment.DefaultMerchantProfileId,
        BakongAccountId = Account,
        Name = "Corner Shop",
        City = "Phnom Penh",
        MerchantId = merchantQr ? "M-123" : null,
        AcquiringBank = merchantQr ? "ACLEDA" : null,
    };

    /// <summary>The profiles as the gateway holds them once read and validated.</summary>
    public static MerchantProfiles Profiles(params MerchantProfile[] profiles)
    {
        var all = new MerchantProfiles();
        all.Profiles.AddRange(profiles);
        return all;
    }

    public static PaymentCreation Creation(
        IPaymentStore store, TimeProvider time, MerchantProfile? merchant = null, IEnumerable<IPaymentChangeSink>? sinks = null) =>
        Creation(store, time, Profiles(merchant ?? Merchant()), sinks);

    public static PaymentCreation Creation(
        IPaymentStore store, TimeProvider time, MerchantProfiles profiles, IEnumerable<IPaymentChangeSink>? sinks = null) => new(
        new PaymentWriter(store, sinks ?? []),
        new KhqrGenerator(time),
        Options.Create(profiles),
        Options.Create(new PaymentOptions()),
        time,
        NullLogger<PaymentCreation>.Instance);

    public static FakeTimeProvider Clock() => new(Start);
}
