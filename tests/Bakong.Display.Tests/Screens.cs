using Bakong.Display.Link;
using Bakong.Display.Protocol;

namespace Bakong.Display.Tests;

/// <summary>Desired screens of test payments: 5000 KHR at "Coffee", a QR text that names the payment.</summary>
internal static class Screens
{
    public static DisplayPayment Payment(string paymentId, DateTimeOffset expires, string? qr = null) =>
        new(paymentId, 5000, 116, 0, (ulong)expires.ToUnixTimeMilliseconds(), "Coffee", qr ?? "00020101021229" + paymentId);

    /// <summary>QR(P) for <see cref="DisplayStatus.Waiting"/>, result(P, s) otherwise.</summary>
    public static DesiredScreen Of(DisplayPayment payment, DisplayStatus status, string message = "") =>
        status == DisplayStatus.Waiting ? new QrScreen(payment) : new ResultScreen(payment, status, message);

    /// <summary>The SHOW_QR a host sends for <paramref name="payment"/> with <paramref name="secondsLeft"/>.</summary>
    public static ShowQrMessage ShowQr(DisplayPayment payment, ushort secondsLeft) =>
        new(payment.PaymentId, payment.AmountMinor, payment.Currency, payment.Exponent, payment.ExpireUnixMs, secondsLeft, payment.MerchantName, payment.Qr);

    public static ShowResultMessage ShowResult(DisplayPayment payment, DisplayStatus status, string message = "") =>
        new(payment.PaymentId, status, payment.AmountMinor, payment.Currency, payment.Exponent, payment.MerchantName, message);
}
