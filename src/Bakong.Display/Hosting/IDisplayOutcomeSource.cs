namespace Bakong.Display;

/// <summary>
/// Where a display link asks for a payment's real outcome when a device reports that the payment's countdown ended on
/// its own clock (STATE_CHANGED {expired_locally}, SPEC.md §10.3) while the host still wants its QR. Bakong.Display
/// knows nothing of payments: the host that drives the screens implements it (the gateway: Bakong.Display.Payments).
/// Without one the report is only logged.
/// </summary>
public interface IDisplayOutcomeSource
{
    /// <summary>
    /// The display of <paramref name="terminalId"/> ended <paramref name="paymentId"/>'s countdown. If the payment has a
    /// result, make it the display's desired screen (the link sends it); if it is still waiting (the device's clock ran
    /// fast), do nothing. Called on the link's loop: return at once and never throw.
    /// </summary>
    void CountdownEnded(string terminalId, string paymentId);
}
