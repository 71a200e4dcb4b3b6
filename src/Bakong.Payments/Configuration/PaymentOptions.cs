using System.ComponentModel.DataAnnotations;
using Bakong.Khqr;
using Bakong.OpenApi.Storage;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Configuration;

/// <summary>Which payment store the gateway uses (<c>Storage:Provider</c>).</summary>
public enum StorageProvider
{
    /// <summary>The embedded LiteDB file at <c>Storage:Path</c> (the default): one gateway, no server to run.</summary>
    LiteDb = 0,

    /// <summary>A PostgreSQL database at <c>Storage:ConnectionString</c> (<c>src/Bakong.Storage.PostgreSql</c>).</summary>
    PostgreSql = 1,
}

/// <summary><c>Storage:*</c> — where payments are kept.</summary>
public sealed class PaymentStorageOptions : IValidatableObject
{
    public const string Section = "Storage";

    /// <summary><c>LiteDb</c> (default) or <c>PostgreSql</c>.</summary>
    [EnumDataType(typeof(StorageProvider), ErrorMessage = "Storage:Provider must be LiteDb or PostgreSql.")]
    public StorageProvider Provider { get; set; } = StorageProvider.LiteDb;

    /// <summary>
    /// The Npgsql connection string of the PostgreSQL database, with <see cref="StorageProvider.PostgreSql"/>. A secret
    /// (it may hold the password): never logged or shown, not even in a validation error.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// PostgreSQL only: how long the poller's pick of due payments leases them to the replica that took it
    /// (<c>FOR UPDATE SKIP LOCKED</c>, renewed at each pick). No other replica checks them meanwhile, and a replica
    /// that died (kill -9, power) leaves its payments to the others this long after its last pick. Longer than one
    /// round's Bakong calls (else another replica may check a payment while its owner still does), short against a
    /// payment's minutes. Replicas compare it on their own clocks: keep them in sync.
    /// </summary>
    public TimeSpan DueLease { get; set; } = DefaultDueLease;

    /// <summary>The default <see cref="DueLease"/>: a poll round takes seconds, a payment lives minutes.</summary>
    public static readonly TimeSpan DefaultDueLease = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The LiteDB file; <c>&lt;Path&gt;.lock</c> and LiteDB's <c>&lt;name&gt;-log.db</c> live beside it, and so do the
    /// gateway's token store and call audit. Default: <c>bakong.db</c> in <see cref="BakongDataDirectory"/>, where the
    /// <c>bakong</c> command looks for them too.
    /// </summary>
    [Required]
    public string Path { get; set; } = BakongDataDirectory.DefaultFile(BakongDataDirectory.PaymentsFileName);

    /// <summary>The provider a configuration names, read before the options exist (the registration depends on it).</summary>
    public static StorageProvider ProviderOf(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[Section + ":" + nameof(Provider)];
        return string.IsNullOrWhiteSpace(value) || !Enum.TryParse<StorageProvider>(value, ignoreCase: true, out var provider)
            ? StorageProvider.LiteDb
            : provider;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Here, not a [Range]: the generated validator's message names the class's property, not the setting.
        if (DueLease < TimeSpan.FromSeconds(1) || DueLease > TimeSpan.FromMinutes(10))
        {
            yield return new ValidationResult(
                "Storage:DueLease must be between 1 second and 10 minutes (00:00:01 to 00:10:00).", [nameof(DueLease)]);
        }

        if (Provider == StorageProvider.PostgreSql && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult(
                "Storage:ConnectionString is required when Storage:Provider is PostgreSql (e.g. Host=db;Database=bakong;Username=bakong; the password from Storage__ConnectionString or a secret store).",
                [nameof(ConnectionString)]);
        }
    }
}

/// <summary><c>Payments:*</c> — payment lifetime rules.</summary>
public sealed class PaymentOptions : IValidatableObject
{
    public const string Section = "Payments";

    /// <summary>The seed rule's ceiling for a KHQR's lifetime.</summary>
    public static readonly TimeSpan ExpiryCeiling = TimeSpan.FromMinutes(10);

    /// <summary>A QR's lifetime when the request names none.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "00:10:00")]
    public TimeSpan DefaultExpiry { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest lifetime a request may ask for (at most 10 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "00:10:00")]
    public TimeSpan MaxExpiry { get; set; } = ExpiryCeiling;

    /// <summary>
    /// The most one KHR payment may ask for, in riel. About 10,000 USD: a shop's largest sale, and far below the
    /// 13 digits a KHQR can carry, so a mistyped or hostile amount is refused instead of shown to a customer.
    /// </summary>
    public decimal MaxAmountKhr { get; set; } = 40_000_000m;

    /// <summary>The most one USD payment may ask for, in dollars.</summary>
    public decimal MaxAmountUsd { get; set; } = 10_000m;

    /// <summary>The ceilings as the money rule takes them.</summary>
    public AmountCeiling MaxAmount => new(MaxAmountKhr, MaxAmountUsd);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DefaultExpiry > MaxExpiry)
        {
            yield return new ValidationResult(
                "Payments:DefaultExpiry must not be longer than Payments:MaxExpiry.", [nameof(DefaultExpiry)]);
        }

        // The ceiling must itself be money (the one rule): whole riel, whole cents, positive, what a KHQR can carry.
        if (!Money.TryCreate(KhqrCurrency.Khr, MaxAmountKhr, out _, out var khr))
        {
            yield return new ValidationResult("Payments:MaxAmountKhr: " + khr!.Description + ".", [nameof(MaxAmountKhr)]);
        }

        if (!Money.TryCreate(KhqrCurrency.Usd, MaxAmountUsd, out _, out var usd))
        {
            yield return new ValidationResult("Payments:MaxAmountUsd: " + usd!.Description + ".", [nameof(MaxAmountUsd)]);
        }
    }
}

[OptionsValidator]
internal sealed partial class PaymentStorageOptionsValidator : IValidateOptions<PaymentStorageOptions>
{
}

[OptionsValidator]
internal sealed partial class PaymentOptionsValidator : IValidateOptions<PaymentOptions>
{
}
