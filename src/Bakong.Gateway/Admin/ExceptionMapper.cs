using System.Globalization;
using Bakong.Gateway.Rpc;
using Bakong.Grpc.Admin.V1;

namespace Bakong.Gateway.Admin;

/// <summary>The exception queue's contract types to and from the domain's (<see cref="Payments.Exceptions"/>).</summary>
internal static class ExceptionMapper
{
    public static PaymentException ToProto(Payments.Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var review = payment.Review;
        return new PaymentException
        {
            Payment = PaymentMapper.ToProto(payment),
            Kind = review is not null ? ExceptionKind.NeedsReview : ExceptionKind.PaidLate,
            Reason = review?.Reason ?? string.Create(
                CultureInfo.InvariantCulture, $"paid after the POS gave up, found {payment.SettleTime ?? payment.UpdateTime:yyyy-MM-dd HH:mm:ss} UTC"),
        };
    }

    /// <summary>The request as the domain takes it; the kind stays unset (and so invalid, naming <c>resolution</c>) when neither is chosen.</summary>
    public static Payments.Exceptions.ResolvePaymentRequest ToDomain(ResolvePaymentRequest request, string resolvedBy)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (kind, hash) = request.ResolutionCase switch
        {
            ResolvePaymentRequest.ResolutionOneofCase.Accept => (Payments.ResolutionKind.Accepted, (string?)null),
            ResolvePaymentRequest.ResolutionOneofCase.Refunded => (Payments.ResolutionKind.Refunded, request.Refunded.TransactionHash),
            _ => (default(Payments.ResolutionKind), null),
        };
        return new Payments.Exceptions.ResolvePaymentRequest(request.PaymentId, kind, hash, string.IsNullOrEmpty(request.Note) ? null : request.Note, resolvedBy);
    }

    /// <summary>The lower-case name of a resolution in errors and the audit (<c>accepted</c>, <c>refunded</c>).</summary>
    public static string NameOf(Payments.ResolutionKind kind) => kind == Payments.ResolutionKind.Refunded ? "refunded" : "accepted";
}
