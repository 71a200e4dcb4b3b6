namespace Bakong.OpenApi.Client;

/// <summary>
/// A Bakong transaction as the check endpoints return it (NBC's Open API document). Only <see cref="Hash"/>,
/// <see cref="Currency"/> and <see cref="Amount"/> are required; everything else is often null in real answers.
/// </summary>
public sealed record BakongTransaction
{
    /// <summary>The 64-hex transaction hash; its first 8 characters are the short hash.</summary>
    public required string Hash { get; init; }

    /// <summary>The payer, often a bank's settlement account (<c>abaakhppxxx@abaa</c>).</summary>
    public string? FromAccountId { get; init; }

    /// <summary>The receiver; compare with the merchant's Bakong ID before fulfilling.</summary>
    public string? ToAccountId { get; init; }

    /// <summary><c>USD</c> or <c>KHR</c>.</summary>
    public required string Currency { get; init; }

    /// <summary>Major units, exactly as sent (a JSON number; never a double here).</summary>
    public required decimal Amount { get; init; }

    public string? Description { get; init; }

    /// <summary>Unix milliseconds when the payer sent the money; decides paid-before-expiry.</summary>
    public long? CreatedDateMs { get; init; }

    /// <summary>Unix milliseconds when Bakong recorded it; at or after <see cref="CreatedDateMs"/>.</summary>
    public long? AcknowledgedDateMs { get; init; }

    public string? TrackingStatus { get; init; }

    public string? ReceiverBank { get; init; }

    public string? ReceiverBankAccount { get; init; }

    public string? InstructionRef { get; init; }

    public string? ExternalRef { get; init; }

    public DateTimeOffset? CreatedAt => CreatedDateMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public DateTimeOffset? AcknowledgedAt => AcknowledgedDateMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
