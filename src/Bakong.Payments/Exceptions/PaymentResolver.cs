using System.Globalization;
using Bakong.OpenApi.Client;
using Bakong.Payments.Storage;
using Bakong.Payments.Writing;
using Microsoft.Extensions.Logging;

namespace Bakong.Payments.Exceptions;

/// <summary>
/// The <c>ResolvePayment</c> use case: an operator takes a payment out of the exception queue, either accepting the
/// money as the sale or saying it was refunded. Bakong has no refund API (a refund is a transfer the merchant makes in
/// a banking app), so a refund is recorded only once <c>check_transaction_by_hash</c> confirms its transfer: from the
/// merchant's account to the payer's, in the currency received, at least the amount received
/// (<see cref="Payment.RefundMismatchOf"/>). The aggregate decides (<see cref="Payment.Resolve"/>) and the
/// <see cref="PaymentWriter"/> saves: the resolution, its event and its <c>payment.resolved</c> webhook in one write.
/// </summary>
/// <remarks>
/// A resolution is applied once. A second one is refused (FAILED_PRECONDITION naming the first), also when two race:
/// the loser's save conflicts, the write path decides again on the stored payment, finds it resolved, and refuses. The
/// gateway is not idempotent by request here on purpose: an operator retrying after a timeout reads the payment (or
/// the refusal, which names the resolution and who made it) rather than have a second decision silently dropped.
/// </remarks>
public sealed class PaymentResolver
{
    /// <summary>A Bakong transaction hash: 64 hex digits.</summary>
    public const int HashLength = 64;

    private readonly IPaymentStore _store;
    private readonly PaymentWriter _writer;
    private readonly IBakongClient _bakong;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    internal PaymentResolver(IPaymentStore store, PaymentWriter writer, IBakongClient bakong, TimeProvider timeProvider, ILogger<PaymentResolver> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(bakong);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _writer = writer;
        _bakong = bakong;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>The request's rules, each violation naming its field (proto paths: <c>refunded.transaction_hash</c>); empty when valid.</summary>
    public static IReadOnlyList<FieldViolation> Validate(ResolvePaymentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var violations = new List<FieldViolation>();
        if (Identifier.Check(request.PaymentId, "payment_id", PaymentLimits.PaymentId) is { } id)
        {
            violations.Add(id);
        }

        switch (request.Kind)
        {
            case ResolutionKind.Accepted when request.TransactionHash is not null:
                violations.Add(new FieldViolation("refunded.transaction_hash", "only with refunded, not with accept"));
                break;
            case ResolutionKind.Refunded when string.IsNullOrEmpty(request.TransactionHash):
                violations.Add(new FieldViolation("refunded.transaction_hash", "required: the refund transfer's hash (" + HashLength + " hex digits)"));
                break;
            case ResolutionKind.Refunded when !IsHash(request.TransactionHash!):
                violations.Add(new FieldViolation("refunded.transaction_hash", string.Create(
                    CultureInfo.InvariantCulture, $"not a transaction hash ({HashLength} hex digits; {request.TransactionHash!.Length} characters given)")));
                break;
            case not (ResolutionKind.Accepted or ResolutionKind.Refunded):
                violations.Add(new FieldViolation("resolution", "required: accept, or refunded with the refund transfer's hash"));
                break;
        }

        if (request.Note is { } note)
        {
            if (note.Length > PaymentLimits.ResolutionNote)
            {
                violations.Add(new FieldViolation("note", string.Create(
                    CultureInfo.InvariantCulture, $"{note.Length} characters, at most {PaymentLimits.ResolutionNote}")));
            }
            else if (note.Any(char.IsControl))
            {
                violations.Add(new FieldViolation("note", "one line of text: no control characters"));
            }
        }

        return violations;
    }

    /// <exception cref="PaymentNotFoundException">No payment has this id.</exception>
    /// <exception cref="PaymentConflictException">The payment kept changing under the resolution (the write path's every attempt).</exception>
    public async Task<ResolveOutcome> ResolveAsync(ResolvePaymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Validate(request) is { Count: > 0 } violations)
        {
            return new ResolveOutcome.Invalid(violations);
        }

        var payment = await _store.GetAsync(request.PaymentId, cancellationToken).ConfigureAwait(false)
            ?? throw new PaymentNotFoundException(request.PaymentId);

        // Refused before Bakong is asked: no call is spent on a payment that cannot be resolved.
        if (Check(payment) is { } refusal)
        {
            return new ResolveOutcome.NotResolvable(payment, refusal);
        }

        BakongTransaction? refund = null;
        if (request.Kind == ResolutionKind.Refunded)
        {
            var hash = request.TransactionHash!.ToLowerInvariant();
            var answer = await _bakong.CheckTransactionByHashAsync(hash, cancellationToken).ConfigureAwait(false);
            if (!answer.IsSuccess)
            {
                // The fault's kind or Bakong's error code, never Bakong's text.
                ResolutionLog.RefundUnverified(_logger, payment.Id, hash, answer.Fault?.Kind.ToString() ?? "Bakong error " + answer.ErrorCode);
                return new ResolveOutcome.BakongUnavailable(payment);
            }

            switch (answer.Value)
            {
                case TransactionCheck.Paid { Transaction: var found } when string.Equals(found.Hash, hash, StringComparison.OrdinalIgnoreCase):
                    refund = found;
                    break;
                case TransactionCheck.Failed:
                    return new ResolveOutcome.RefundNotFound(payment, hash, "Bakong reports this transfer failed: no money was sent back");
                default:
                    return new ResolveOutcome.RefundNotFound(payment, hash, "Bakong does not find a transfer with this hash");
            }

            if (payment.RefundMismatchOf(refund) is { Count: > 0 } mismatches)
            {
                var fields = string.Join(",", mismatches.Select(m => m.Field));
                ResolutionLog.RefundRefused(_logger, payment.Id, hash, fields);
                return new ResolveOutcome.RefundMismatch(payment, hash, mismatches);
            }
        }

        var resolution = new PaymentResolution(request.Kind, refund, request.ResolvedBy, default, string.IsNullOrEmpty(request.Note) ? null : request.Note);
        var kind = ResolutionNames.Of(request.Kind);
        var refundHash = refund?.Hash ?? "-";
        var outcome = await _writer.ChangeAsync(
            payment,
            p => p.Resolve(resolution, _timeProvider.GetUtcNow()),
            saved => ResolutionLog.Resolved(_logger, saved.Payment.Id, kind, refundHash, request.ResolvedBy),
            cancellationToken).ConfigureAwait(false);
        return outcome switch
        {
            WriteOutcome.Saved saved => new ResolveOutcome.Resolved(saved.Payment),
            WriteOutcome.NotAllowed notAllowed => new ResolveOutcome.NotResolvable(notAllowed.Payment, notAllowed.Reason),
            WriteOutcome.NotFound => throw new PaymentNotFoundException(request.PaymentId),
            _ => throw new InvalidOperationException("A resolution always changes the payment or is refused."),
        };
    }

    /// <summary>Why the payment cannot be resolved as it is, or null: the transition's own rule, asked without changing it.</summary>
    private static string? Check(Payment payment)
    {
        var probe = Payment.FromSnapshot(payment.ToSnapshot());
        var result = probe.Resolve(new PaymentResolution(ResolutionKind.Accepted, null, "-", default, null), payment.UpdateTime);
        return result.IsApplied ? null : result.Reason;
    }

    private static bool IsHash(string value) => value.Length == HashLength && value.All(char.IsAsciiHexDigit);
}

/// <summary>What <c>ResolvePayment</c> asks.</summary>
/// <param name="PaymentId">The payment.</param>
/// <param name="Kind">Accepted or refunded; anything else is invalid.</param>
/// <param name="TransactionHash">The refund transfer's hash, only with <see cref="ResolutionKind.Refunded"/>.</param>
/// <param name="Note">The operator's note, optional.</param>
/// <param name="ResolvedBy">The operator's client id, recorded on the payment.</param>
public sealed record ResolvePaymentRequest(string PaymentId, ResolutionKind Kind, string? TransactionHash, string? Note, string ResolvedBy);

/// <summary>How a resolution went.</summary>
public abstract record ResolveOutcome
{
    private ResolveOutcome()
    {
    }

    /// <summary>Recorded: the payment with its resolution, one version up.</summary>
    public sealed record Resolved(Payment Payment) : ResolveOutcome;

    /// <summary>Bad input (INVALID_ARGUMENT), the fields named.</summary>
    public sealed record Invalid(IReadOnlyList<FieldViolation> Violations) : ResolveOutcome;

    /// <summary>The payment needs no resolution, is still pending, or is resolved already (<see cref="Payment.Resolution"/>): FAILED_PRECONDITION.</summary>
    public sealed record NotResolvable(Payment Payment, string Reason) : ResolveOutcome;

    /// <summary>Bakong has no successful transfer with this hash: FAILED_PRECONDITION.</summary>
    public sealed record RefundNotFound(Payment Payment, string Hash, string Reason) : ResolveOutcome;

    /// <summary>Bakong's transfer is not a refund of this payment: FAILED_PRECONDITION naming what differs.</summary>
    public sealed record RefundMismatch(Payment Payment, string Hash, IReadOnlyList<Payments.RefundMismatch> Mismatches) : ResolveOutcome;

    /// <summary>Bakong could not be asked (a fault): UNAVAILABLE, try again.</summary>
    public sealed record BakongUnavailable(Payment Payment) : ResolveOutcome;
}

/// <summary>The resolutions' log events (2030–2039): ids, kinds and hashes only, never the operator's note.</summary>
internal static partial class ResolutionLog
{
    [LoggerMessage(EventId = 2030, EventName = "PaymentResolved", Level = LogLevel.Information,
        Message = "Payment {PaymentId} resolved: {Resolution} (refund {RefundHash}) by {OperatorId}")]
    public static partial void Resolved(ILogger logger, string paymentId, string resolution, string refundHash, string operatorId);

    [LoggerMessage(EventId = 2031, EventName = "RefundRefused", Level = LogLevel.Warning,
        Message = "Refund {RefundHash} for payment {PaymentId} refused: it differs in {Fields}")]
    public static partial void RefundRefused(ILogger logger, string paymentId, string refundHash, string fields);

    [LoggerMessage(EventId = 2032, EventName = "RefundUnverified", Level = LogLevel.Warning,
        Message = "Refund {RefundHash} for payment {PaymentId} could not be checked with Bakong: {Failure}")]
    public static partial void RefundUnverified(ILogger logger, string paymentId, string refundHash, string failure);
}
