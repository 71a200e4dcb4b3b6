using Bakong.Display.Protocol;
using Microsoft.Extensions.Logging;

namespace Bakong.Display;

// Event ids 2600-2699: the serial display (link 2600-2639, transport 2640-2669, the configured displays 2670, and
// Bakong.Display.Payments' bridge from payments to screens 2671-2699, logged there under the same category).
// Every string a device wrote reaches these methods escaped (Link/DeviceText), and every line the link logs about a
// device is first allowed by that display's budget (Link/DeviceLogBudget).
internal static partial class DisplayLog
{
    [LoggerMessage(EventId = 2600, EventName = "DisplayOnline", Level = LogLevel.Information,
        Message = "Display {TerminalId} online: boot {BootId:x8}, firmware {Firmware}, model {Model}, serial {Serial}, MTU {Mtu}")]
    public static partial void Online(ILogger logger, string terminalId, uint bootId, string firmware, string model, string serial, int mtu);

    [LoggerMessage(EventId = 2601, EventName = "DisplayOffline", Level = LogLevel.Warning,
        Message = "Display {TerminalId} offline: {Reason}")]
    public static partial void Offline(ILogger logger, string terminalId, string reason);

    [LoggerMessage(EventId = 2602, EventName = "DisplayIncompatible", Level = LogLevel.Error,
        Message = "Display {TerminalId} speaks protocol major version {Major}, this gateway speaks 1: not operated")]
    public static partial void Incompatible(ILogger logger, string terminalId, int major);

    [LoggerMessage(EventId = 2603, EventName = "DisplayRebooted", Level = LogLevel.Information,
        Message = "Display {TerminalId} booted (boot {BootId:x8}, reset reason {ResetReason}): handshake and full screen again")]
    public static partial void Rebooted(ILogger logger, string terminalId, uint bootId, byte resetReason);

    [LoggerMessage(EventId = 2604, EventName = "DisplayRetransmit", Level = LogLevel.Debug,
        Message = "Display {TerminalId}: no answer to {Type} seq {Seq}, retransmit {Attempt}")]
    public static partial void Retransmit(ILogger logger, string terminalId, MessageType type, byte seq, int attempt);

    [LoggerMessage(EventId = 2605, EventName = "DisplayNak", Level = LogLevel.Warning,
        Message = "Display {TerminalId} refused {Type}: {Result}")]
    public static partial void Nak(ILogger logger, string terminalId, MessageType type, AckResult result);

    [LoggerMessage(EventId = 2606, EventName = "DisplayStateChanged", Level = LogLevel.Debug,
        Message = "Display {TerminalId} shows {Screen} {Status} for {PaymentId} (reason {Reason})")]
    public static partial void DeviceState(ILogger logger, string terminalId, DisplayScreenKind screen, DisplayStatus status, string paymentId, byte reason);

    [LoggerMessage(EventId = 2607, EventName = "DisplayDeviceLog", Level = LogLevel.Information,
        Message = "Display {TerminalId} says (level {Level}): {Text}")]
    public static partial void DeviceLog(ILogger logger, string terminalId, byte level, string text);

    [LoggerMessage(EventId = 2608, EventName = "DisplayLogSuppressed", Level = LogLevel.Warning,
        Message = "Display {TerminalId} makes more log than allowed ({Burst} lines, then {PerMinute} a minute): further lines suppressed (counted in bakong.display.log.suppressed)")]
    public static partial void DeviceLinesSuppressed(ILogger logger, string terminalId, int burst, int perMinute);

    [LoggerMessage(EventId = 2609, EventName = "DisplayLogResumed", Level = LogLevel.Information,
        Message = "Display {TerminalId}: logging again after {Count} suppressed lines")]
    public static partial void DeviceLinesResumed(ILogger logger, string terminalId, long count);

    [LoggerMessage(EventId = 2610, EventName = "DisplayNotDriven", Level = LogLevel.Error,
        Message = "Display {TerminalId} is not driven: {Problem}")]
    public static partial void NotDriven(ILogger logger, string terminalId, string problem);

    [LoggerMessage(EventId = 2611, EventName = "DisplayCountdownEnded", Level = LogLevel.Information,
        Message = "Display {TerminalId} ended the countdown of {PaymentId} on its own clock: asking for the payment's outcome")]
    public static partial void CountdownEnded(ILogger logger, string terminalId, string paymentId);

    [LoggerMessage(EventId = 2612, EventName = "DisplayQrDoesNotFit", Level = LogLevel.Warning,
        Message = "Display {TerminalId}: the QR of {PaymentId} does not fit the device's MTU {Mtu}; the idle screen is shown instead")]
    public static partial void QrDoesNotFit(ILogger logger, string terminalId, string paymentId, int mtu);

    [LoggerMessage(EventId = 2613, EventName = "DisplayAuthFailed", Level = LogLevel.Warning,
        Message = "Display {TerminalId} refused the QR MAC of {Type}: handshake and the screen once more")]
    public static partial void AuthFailed(ILogger logger, string terminalId, MessageType type);

    [LoggerMessage(EventId = 2614, EventName = "DisplayVersionRefused", Level = LogLevel.Error,
        Message = "Display {TerminalId} refused this gateway's protocol major version {Major} (UNSUPPORTED_VERSION): not operated")]
    public static partial void VersionRefused(ILogger logger, string terminalId, int major);

    [LoggerMessage(EventId = 2615, EventName = "DisplayCommandAnswered", Level = LogLevel.Information,
        Message = "Display {TerminalId} answered the operator's {Type}: {Result}")]
    public static partial void CommandAnswered(ILogger logger, string terminalId, MessageType type, AckResult result);

    [LoggerMessage(EventId = 2616, EventName = "DisplayStateAnswered", Level = LogLevel.Information,
        Message = "Display {TerminalId} answered the operator's GET_STATE: {Screen} {Status} for {PaymentId}")]
    public static partial void StateAnswered(ILogger logger, string terminalId, DisplayScreenKind screen, DisplayStatus status, string paymentId);

    [LoggerMessage(EventId = 2640, EventName = "DisplayPortOpened", Level = LogLevel.Information,
        Message = "Display {TerminalId}: port {PortName} open at {BaudRate} baud (DTR {Dtr})")]
    public static partial void PortOpened(ILogger logger, string terminalId, string portName, int baudRate, bool dtr);

    [LoggerMessage(EventId = 2641, EventName = "DisplayPortOpenFailed", Level = LogLevel.Warning,
        Message = "Display {TerminalId}: cannot open {PortName} ({Reason}); retrying in {Delay}")]
    public static partial void PortOpenFailed(ILogger logger, string terminalId, string portName, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 2644, EventName = "DisplayPortStillFailing", Level = LogLevel.Debug,
        Message = "Display {TerminalId}: still cannot open {PortName} ({Reason}); retrying in {Delay}")]
    public static partial void PortStillFailing(ILogger logger, string terminalId, string portName, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 2645, EventName = "DisplayPortWaiting", Level = LogLevel.Information,
        Message = "Display {TerminalId}: {PortName} is not there; opening it as soon as it appears")]
    public static partial void PortWaiting(ILogger logger, string terminalId, string portName);

    [LoggerMessage(EventId = 2642, EventName = "DisplayPortLost", Level = LogLevel.Warning,
        Message = "Display {TerminalId}: port {PortName} lost ({Reason}); reopening")]
    public static partial void PortLost(ILogger logger, string terminalId, string portName, string reason);

    [LoggerMessage(EventId = 2643, EventName = "DisplayPortCloseHung", Level = LogLevel.Warning,
        Message = "Display {TerminalId}: closing {PortName} did not finish in {Timeout}; abandoned (a write after the device vanished)")]
    public static partial void PortCloseHung(ILogger logger, string terminalId, string portName, TimeSpan timeout);

    [LoggerMessage(EventId = 2670, EventName = "DisplayBridgeStarted", Level = LogLevel.Information,
        Message = "Display for terminal {TerminalId} on {PortName}")]
    public static partial void BridgeStarted(ILogger logger, string terminalId, string portName);
}
