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
/// <remarks>
/// A result's hold (<see cref="DisplayPortOptions.ResultHold"/>) counts from when the display shows it, not from when
/// it happened: a display that was unplugged when the customer paid still shows PAID once it is back, if that is within
/// <see cref="RecentResult"/>. Later than that the result is stale and the idle screen returns without it.
/// </remarks>
internal sealed class DisplayTerminal
{
    /// <summary>How long a result waits for a display that is away (unplugged, rebooting) before it is no longer worth showing.</summary>
    internal static readonly TimeSpan RecentResult = TimeSpan.FromMinutes(1);

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
    private ResultScreen? _held;
    private bool _holdStarted;

    public DisplayTerminal(ConfiguredDisplay display, TimeProvider holdClock, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(display);
        _display = display;
        _options = display.Options;
        _merchantName = display.Idle.MerchantName; // already cut to what a display takes
        _holdClock = holdClock;
        _logger = logger;
        Controller.Shown += OnShown;
    }

    public DisplayController Controller => _display.Controller;

    public string TerminalId => _options.TerminalId;

    /// <summary>The payment the display is given (its QR or its result), if any.</summary>
    public string? PaymentId
    {
        get
        {
            lock (_lock)
            {
                return _paymentId;
            }
        }
    }

    private IdleScreen Idle => _display.Idle;

    public void OnSaved(Payment payment)
    {
        var content = ContentOf(payment);
        if (content is null)
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
            _hold?.Dispose();
            _hold = null;
            _held = null;
            if (status == DisplayStatus.Waiting)
            {
                Set(new QrScreen(content));
                return;
            }

            // A result waits for the display at most this long; once the display shows it, the hold counts from there.
            var result = new ResultScreen(content, status, MessageOf(payment, status));
            _held = result;
            _holdStarted = false;
            _hold = _holdClock.CreateTimer(_ => BackToIdle(result), null, _options.ResultHold + RecentResult, Timeout.InfiniteTimeSpan);
            Set(result);
        }
    }

    /// <summary>The display acknowledged a screen: if it is the result on hold, its hold starts now (once).</summary>
    private void OnShown(DesiredScreen shown)
    {
        lock (_lock)
        {
            if (_held is not null && !_holdStarted && Equals(shown, _held))
            {
                _holdStarted = true;
                _hold?.Change(_options.ResultHold, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void BackToIdle(ResultScreen result)
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
        if (Controller.SetDesired(screen))
        {
            DisplayBridgeLog.ScreenSet(_logger, _options.TerminalId, screen);
        }
    }

    /// <summary>The payment as a display shows it, or null when a v1 display cannot carry it (its id or QR is too long).</summary>
    private DisplayPayment? ContentOf(Payment payment)
    {
        var currency = (ushort)payment.Money.Currency; // KhqrCurrency's values are the ISO 4217 numeric codes (116, 840)
        var exponent = (byte)payment.Money.MinorUnitDigits;
        if (System.Text.Encoding.UTF8.GetByteCount(payment.Id) > PayloadLimits.PaymentId
            || System.Text.Encoding.UTF8.GetByteCount(payment.Qr) > PayloadLimits.Qr
            || !DisplayMessages.IsValidPayment(payment.Id, currency, exponent))
        {
            return null;
        }

        // The merchant name is what the idle screen shows; the link shortens it further when a frame needs the room.
        return new DisplayPayment(
            payment.Id, (ulong)payment.Money.MinorUnits, currency, exponent, (ulong)payment.ExpireTime.ToUnixTimeMilliseconds(), _merchantName, payment.Qr);
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
