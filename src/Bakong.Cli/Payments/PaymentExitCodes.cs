using Bakong.Grpc.Payments.V1;

namespace Bakong.Cli.Payments;

/// <summary>The exit codes of <c>bakong pay</c> and <c>bakong watch</c>, as docs/cli.md lists them.</summary>
internal static class PaymentExitCodes
{
    public const int Paid = 0;

    /// <summary>No outcome: a usage mistake, a request the gateway refused, or the gateway could not be reached.</summary>
    public const int Error = 1;

    /// <summary>The payment failed (the bank declined it). Nothing else: a script can rely on it.</summary>
    public const int Failed = 2;

    public const int Expired = 3;

    public const int Cancelled = 4;

    /// <summary>The exit code for a payment in a terminal state; PAID_LATE counts as paid (the money arrived).</summary>
    public static int For(Payment.Types.State state) => state switch
    {
        Payment.Types.State.Paid or Payment.Types.State.PaidLate => Paid,
        Payment.Types.State.Failed => Failed,
        Payment.Types.State.Expired => Expired,
        Payment.Types.State.Cancelled => Cancelled,
        _ => Error,
    };
}
