namespace Bakong.Payments.Writing;

/// <summary>
/// A change of a payment lost the optimistic-concurrency race on every one of the write path's attempts (another writer,
/// the poller, saved the payment between each read and save). Nothing was saved; the same call may be made again, so
/// the gRPC layer answers ABORTED, gRPC's code for a concurrency conflict the client may retry.
/// </summary>
public sealed class PaymentConflictException : Exception
{
    public PaymentConflictException()
        : this("", 0)
    {
    }

    public PaymentConflictException(string paymentId, int attempts)
        : base("Payment '" + paymentId + "' was changed by another writer before each of " + attempts + " attempts to save a change; nothing was saved.")
    {
        PaymentId = paymentId;
        Attempts = attempts;
    }

    public PaymentConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
        PaymentId = "";
    }

    /// <summary>The payment that kept changing.</summary>
    public string PaymentId { get; }

    /// <summary>How many saves were tried.</summary>
    public int Attempts { get; }
}
