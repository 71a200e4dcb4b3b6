using Bakong.Display.Link;
using Bakong.Display.Protocol;
using Bakong.Payments;
using Microsoft.Extensions.Logging;

namespace Bakong.Display.Payments;

/// <summary>
/// One terminal's display as the payments see it: turns the terminal's payment changes into the desired screen (its
/// QR, then its result, then the display's idle screen after the hold). Only the terminal's latest payment is shown;
/// changes to older ones are ignored. Everything here returns at once: the link converges the device on its own loop.
/// </summary>
internal sealed class DisplayTerminal
{
    private readonly Lock _lock = new();
    private readonly ConfiguredDisplay _display;
    private readonly DisplayPortOptions _options;
    private readonly string _merchantName;
    private readonly TimeProvider _holdClock;
    private readonly ILogger _logger;
    private string? _paymentId;
    private DateTimeOffset _paymentCreated;
    private DisplayStatus _status;
    private ITimer? _hold;

    public DisplayTerminal(ConfiguredDisplay display, TimeProvider holdClock, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(display);
        _display = display;
        _options = display.Options;
        _merchantName = display.Idle.MerchantName; // already cut to what a display takes
        _holdClock = holdClock;
        _logger = logger;
    }

    public DisplayController Controller => _display.Controller;

    public string TerminalId => _options.TerminalId;

    private IdleScreen Idle => _display.Idle;

    public void OnSaved(Payment payment)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(payment.Id) > PayloadLimits.PaymentId
            || System.Text.Encoding.UTF8.GetByteCount(payment.Qr) > PayloadLimits.Qr)
        {
            // Cannot be shown by a v1 display; the POS still has the QR. Said once, at creation.
            if (payment.State == PaymentState.Pending && payment.Version == 1)
            {
                DisplayBridgeLog.PaymentTooLarge(_logger, _options.TerminalId, payment.Id);
            }

            return;
        }

        lock (_lock)
        {
            if (payment.Id != _paymentId)
            {
                // A newer pending payment takes the screen; an older payment's late news does not.
                if (payment.State != PaymentState.Pending || (_paymentId is not null && payment.CreateTime < _paymentCreated))
                {
                    return;
                }

                _paymentId = payment.Id;
                _paymentCreated = payment.CreateTime;
                _status = DisplayStatus.None;
            }

            var status = StatusOf(payment.State);
            if (status == _status)
            {
                return; // check bookkeeping, or a repeat: nothing new to show
            }

            _status = status;
            var screen = new QrScreen(QrOf(payment), status, MessageOf(payment, status));
            _hold?.Dispose();
            _hold = null;
            Set(screen);
            if (status != DisplayStatus.Waiting)
            {
                _hold = _holdClock.CreateTimer(_ => BackToIdle(screen), null, _options.ResultHold, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void BackToIdle(QrScreen result)
    {
        lock (_lock)
        {
            if (Controller.TrySetDesired(result, Idle))
            {
                DisplayBridgeLog.ScreenSet(_logger, _options.TerminalId, Controller.Desired!);
            }
        }
    }

    private void Set(DesiredScreen screen)
    {
        Controller.SetDesired(screen);
        DisplayBridgeLog.ScreenSet(_logger, _options.TerminalId, screen);
    }

    private ShowQrMessage QrOf(Payment payment)
    {
        var qr = new ShowQrMessage(
            payment.Id,
            (ulong)payment.Money.MinorUnits,
            (ushort)payment.Money.Currency, // KhqrCurrency's values are the ISO 4217 numeric codes (116, 840)
            (byte)payment.Money.MinorUnitDigits,
            (ulong)payment.ExpireTime.ToUnixTimeMilliseconds(),
            0,
            _merchantName,
            payment.Qr);

        // A long QR and a long name together can exceed one frame: the name gives way, never the QR.
        var excess = qr.PayloadLength - FrameCodec.MaxPayload;
        return excess <= 0
            ? qr
            : qr with { MerchantName = Utf8Text.Truncate(_merchantName, Math.Max(0, System.Text.Encoding.UTF8.GetByteCount(_merchantName) - excess)) };
    }

    private static DisplayStatus StatusOf(PaymentState state) => state switch
    {
        PaymentState.Pending => DisplayStatus.Waiting,
        PaymentState.Paid or PaymentState.PaidLate => DisplayStatus.Paid,
        PaymentState.Failed => DisplayStatus.Failed,
        PaymentState.Expired => DisplayStatus.Expired,
        _ => DisplayStatus.Cancelled,
    };

    private static string MessageOf(Payment payment, DisplayStatus status) => status switch
    {
        DisplayStatus.Paid => "Thank you",
        DisplayStatus.Failed => Utf8Text.Truncate(payment.FailureReason ?? "Payment failed", PayloadLimits.Text),
        _ => "",
    };
}
