using System.Collections;
using Microsoft.Extensions.Logging;

namespace Bakong.Payments.Telemetry;

/// <summary>
/// The logging scope of work on one payment: <c>PaymentId</c> and <c>TerminalId</c> as structured properties on every
/// log line written inside it (the gRPC service, the poller, the webhook dispatcher), whatever the line's own message.
/// </summary>
public sealed class PaymentLogScope : IReadOnlyList<KeyValuePair<string, object?>>
{
    public const string PaymentIdKey = "PaymentId";
    public const string TerminalIdKey = "TerminalId";

    private PaymentLogScope(string paymentId, string? terminalId)
    {
        PaymentId = paymentId;
        TerminalId = terminalId;
    }

    public string PaymentId { get; }

    /// <summary>Null when it is not known yet (a request naming a payment that is still to be read).</summary>
    public string? TerminalId { get; }

    public int Count => TerminalId is null ? 1 : 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new(PaymentIdKey, PaymentId),
        1 when TerminalId is not null => new(TerminalIdKey, TerminalId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>Begins the scope on <paramref name="logger"/>; dispose it when the work on the payment is done.</summary>
    public static IDisposable? Begin(ILogger logger, string paymentId, string? terminalId = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return logger.BeginScope(new PaymentLogScope(paymentId, terminalId));
    }

    /// <inheritdoc cref="Begin(ILogger, string, string?)"/>
    public static IDisposable? Begin(ILogger logger, Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        return Begin(logger, payment.Id, payment.TerminalId);
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => TerminalId is null ? "PaymentId:" + PaymentId : "PaymentId:" + PaymentId + " TerminalId:" + TerminalId;
}
