using Bakong.Payments;
using Bakong.Payments.Storage;
using Microsoft.Extensions.Logging;

namespace Bakong.Display.Payments;

/// <summary>
/// The displays' question "what became of this payment?" (SPEC.md §10.3), answered from the payment store: when a
/// display's own countdown ended, the payment's saved state goes through the bridge like any change, so a payment that
/// has a result gets its result screen (and its hold) and one that is still waiting changes nothing.
/// </summary>
internal sealed class DisplayOutcomes(IPaymentStore store, DisplayBridge bridge, ILoggerFactory loggers, TimeProvider time) : IDisplayOutcomeSource
{
    private static readonly TimeSpan s_lookupTimeout = TimeSpan.FromSeconds(10);
    private readonly ILogger _logger = loggers.CreateLogger("Bakong.Display");

    public void CountdownEnded(string terminalId, string paymentId) => _ = LookUpAsync(terminalId, paymentId);

    /// <summary>Off the link's loop; never throws (a failed lookup leaves the QR desired, and the poller's next change still comes).</summary>
    internal async Task LookUpAsync(string terminalId, string paymentId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(s_lookupTimeout, time);
            var payment = await store.GetAsync(paymentId, timeout.Token).ConfigureAwait(false);
            if (payment is not null && payment.TerminalId == terminalId && payment.State != PaymentState.Pending)
            {
                bridge.Saved(payment, []);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            DisplayBridgeLog.OutcomeLookupFailed(_logger, terminalId, paymentId, e.GetType().Name);
        }
    }
}
