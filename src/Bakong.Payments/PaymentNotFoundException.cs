namespace Bakong.Payments;

/// <summary>No payment has this id (a read, a watch, a cancel). The gRPC layer maps it to <c>NOT_FOUND</c>.</summary>
public sealed class PaymentNotFoundException : Exception
{
    public PaymentNotFoundException()
        : this("")
    {
    }

    public PaymentNotFoundException(string paymentId)
        : base("Payment '" + paymentId + "' does not exist.")
    {
        PaymentId = paymentId;
    }

    public PaymentNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        PaymentId = "";
    }

    /// <summary>The id that was asked for.</summary>
    public string PaymentId { get; }
}
