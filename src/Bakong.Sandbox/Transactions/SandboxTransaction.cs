using System.Text.Json.Serialization;

namespace Bakong.Sandbox;

/// <summary>
/// A transaction exactly as Bakong's check endpoints return it in <c>data</c> (NBC's Open API document): amounts in major
/// units as a JSON number, times in Unix milliseconds, the usually-null fields present and null.
/// </summary>
public sealed record SandboxTransaction(
    string Hash,
    string FromAccountId,
    string ToAccountId,
    string Currency,
    decimal Amount,
    string? Description,
    long CreatedDateMs,
    long AcknowledgedDateMs,
    string? TrackingStatus,
    string? ReceiverBank,
    string? ReceiverBankAccount,
    string? InstructionRef,
    string? ExternalRef);

/// <summary>What happened to a QR: the customer paid it, or the payment failed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SandboxPaymentStatus>))]
public enum SandboxPaymentStatus
{
    [JsonStringEnumMemberName("PAID")]
    Paid,

    [JsonStringEnumMemberName("FAILED")]
    Failed,
}

/// <summary>
/// A payment made (or failed) through the control API. Bakong shows it from <see cref="VisibleAtMs"/> on
/// (the control API's <c>delayMs</c>); before that the md5 is still not found.
/// </summary>
public sealed record SandboxPayment(
    string Md5,
    SandboxPaymentStatus Status,
    bool IsStaticQr,
    long VisibleAtMs,
    SandboxTransaction Transaction,
    string? Qr);

/// <summary>A QR the sandbox knows, decoded: what a payment of it carries, and whether md5 checks refuse it (static).</summary>
public sealed record SandboxQr(
    string Md5,
    string Qr,
    bool IsStatic,
    decimal? Amount,
    string? Currency,
    string? ToAccountId,
    long? ExpiresAtMs);
