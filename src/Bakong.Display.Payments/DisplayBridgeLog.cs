using Bakong.Display.Link;
using Microsoft.Extensions.Logging;

namespace Bakong.Display.Payments;

// Event ids 2671-2699, the bridge's share of the display's 2600-2699 (see Bakong.Display's DisplayLog); written under
// the display's category, Bakong.Display.
internal static partial class DisplayBridgeLog
{
    [LoggerMessage(EventId = 2672, EventName = "DisplayPaymentTooLarge", Level = LogLevel.Warning,
        Message = "Display {TerminalId}: payment {PaymentId} is not shown (its id or QR is longer than a v1 display takes); the POS has the QR")]
    public static partial void PaymentTooLarge(ILogger logger, string terminalId, string paymentId);

    [LoggerMessage(EventId = 2673, EventName = "DisplayOutcomeLookupFailed", Level = LogLevel.Warning,
        Message = "Display {TerminalId}: the outcome of {PaymentId} could not be looked up ({Error}); its QR stays until its result comes")]
    public static partial void OutcomeLookupFailed(ILogger logger, string terminalId, string paymentId, string error);

    [LoggerMessage(EventId = 2674, EventName = "DisplayCatchUpFailed", Level = LogLevel.Warning,
        Message = "Display {TerminalId}: its payments could not be read again after changes made elsewhere were missed ({Error}); the screen stays until the next change")]
    public static partial void CatchUpFailed(ILogger logger, string terminalId, string error);

    [LoggerMessage(EventId = 2671, EventName = "DisplayScreenSet", Level = LogLevel.Debug,
        Message = "Display {TerminalId}: desired screen {Screen}")]
    public static partial void ScreenSet(ILogger logger, string terminalId, DesiredScreen screen);
}
