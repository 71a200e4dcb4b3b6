using Bakong.Payments.Configuration;

namespace Bakong.Payments.Creation;

/// <summary>What a POS asks for, as it arrived: <see cref="PaymentCreation"/> validates every field.</summary>
/// <remarks>The limits are <see cref="PaymentLimits"/>'s; violations name the fields as <see cref="CreatePaymentFields"/>.</remarks>
public sealed record CreatePaymentRequest
{
    /// <summary>The idempotency key: the same key with the same parameters returns the same payment.</summary>
    public required string RequestId { get; init; }

    public required string TerminalId { get; init; }

    /// <summary><c>KHR</c> or <c>USD</c>; empty means the merchant's default currency.</summary>
    public string? Currency { get; init; }

    /// <summary>Major units: whole riel, or dollars with at most two decimals.</summary>
    public required decimal Amount { get; init; }

    /// <summary>The POS's order reference; not put in the QR (the bill number is per payment).</summary>
    public string? OrderRef { get; init; }

    /// <summary>The QR's lifetime; null for the configured default; at most the configured maximum (10 minutes).</summary>
    public TimeSpan? ExpiresIn { get; init; }

    /// <summary>KHQR tag 62 sub-tag 03, at most <see cref="PaymentLimits.StoreLabel"/> characters.</summary>
    public string? StoreLabel { get; init; }

    /// <summary>KHQR tag 62 sub-tag 07, at most <see cref="PaymentLimits.TerminalLabel"/> characters.</summary>
    public string? TerminalLabel { get; init; }

    /// <summary>KHQR tag 62 sub-tag 08, at most <see cref="PaymentLimits.PurposeOfTransaction"/> characters.</summary>
    public string? PurposeOfTransaction { get; init; }

    /// <summary>
    /// The POS's bill number for the QR (tag 62 sub-tag 01), at most <see cref="PaymentLimits.BillNumber"/> characters;
    /// null for the gateway's own, unique to the payment.
    /// </summary>
    public string? BillNumber { get; init; }
}

/// <summary>
/// A create request as the domain judged it, once: its violations, or the parameters <see cref="PaymentCreation"/>
/// stores. Only <see cref="PaymentCreation.Validate(CreatePaymentRequest)"/> makes one, so an edge that must know the request is valid before
/// it logs the ids hands this to <see cref="PaymentCreation.CreateAsync(ValidatedCreatePaymentRequest, int?, CancellationToken)"/>
/// and the rules run once.
/// </summary>
public sealed class ValidatedCreatePaymentRequest
{
    internal ValidatedCreatePaymentRequest(
        CreatePaymentRequest request, PaymentParameters? parameters, MerchantProfile? profile, IReadOnlyList<FieldViolation> violations)
    {
        Request = request;
        Parameters = parameters;
        Profile = profile;
        Violations = violations;
    }

    public CreatePaymentRequest Request { get; }

    /// <summary>Every bad field, named as <see cref="CreatePaymentFields"/>; empty when the request may be created.</summary>
    public IReadOnlyList<FieldViolation> Violations { get; }

    /// <summary>The checked parameters; null when there are violations.</summary>
    internal PaymentParameters? Parameters { get; }

    /// <summary>The merchant profile that serves the request's terminal; null when none does or the terminal id is bad.</summary>
    public MerchantProfile? Profile { get; }
}

/// <summary>How a create request went. A conflict or invalid input is an answer, not an exception.</summary>
public abstract record CreatePaymentResult
{
    private CreatePaymentResult()
    {
    }

    /// <summary>A new payment, stored before this was returned.</summary>
    public sealed record Created(Payment Payment) : CreatePaymentResult;

    /// <summary>The request id was seen before with the same parameters: the payment made then.</summary>
    public sealed record Replayed(Payment Payment) : CreatePaymentResult;

    /// <summary>The request id was seen before with other parameters (ALREADY_EXISTS); <see cref="Fields"/> names them.</summary>
    public sealed record Conflict(Payment Existing, IReadOnlyList<string> Fields) : CreatePaymentResult;

    /// <summary>Bad input (INVALID_ARGUMENT), every bad field named.</summary>
    public sealed record Invalid(IReadOnlyList<FieldViolation> Violations) : CreatePaymentResult;

    /// <summary>
    /// The terminal already has <see cref="Limit"/> pending payments (RESOURCE_EXHAUSTED): nothing was created. One
    /// of them ends (paid, cancelled, expired) within <see cref="RetryAfter"/> at the latest.
    /// </summary>
    public sealed record TooManyPending(int Limit, TimeSpan RetryAfter) : CreatePaymentResult;
}
