using System.Globalization;
using System.Text;
using Bakong.Cli.Khqr;
using Bakong.Display.Link;
using Bakong.Display.Protocol;

namespace Bakong.Cli.Display;

/// <summary>An emulated display's screen as terminal text: the QR (drawn as <c>bakong khqr generate</c> draws it) with amount, merchant and countdown, a result, or idle.</summary>
internal static class ScreenText
{
    public static string Render(DeviceScreen screen, DateTimeOffset now, string header)
    {
        var text = new StringBuilder();
        text.Append(header).Append('\n').Append('\n');
        switch (screen.Kind)
        {
            case DisplayScreenKind.Idle:
                text.Append("  ").Append(screen.MerchantName.Length > 0 ? screen.MerchantName : "(idle)").Append('\n');
                if (screen.Line2.Length > 0)
                {
                    text.Append("  ").Append(screen.Line2).Append('\n');
                }

                break;
            case DisplayScreenKind.Qr:
                text.Append("  ").Append(screen.MerchantName).Append("  ·  ").Append(screen.AmountText()).Append('\n');
                text.Append(screen.ShowsQrCode ? TerminalQr.Render(screen.Qr) : "  (no code to scan)\n"); // an empty qr is never drawn (SPEC.md §6.2)
                text.Append("  Scan with any Bakong app · expires in ").Append(Countdown(screen.SecondsLeft(now)));
                text.Append(screen.Offline ? "  [offline]" : "").Append('\n');
                break;
            case DisplayScreenKind.Status:
                text.Append("  ").Append(StatusLine(screen.Status)).Append("  ·  ").Append(screen.AmountText()).Append('\n');
                text.Append("  ").Append(screen.MerchantName).Append('\n');
                if (screen.Message.Length > 0)
                {
                    text.Append("  ").Append(screen.Message).Append('\n');
                }

                break;
            default:
                text.Append("  (blank: waiting for the gateway)\n");
                break;
        }

        return text.ToString();
    }

    public static string StatusLine(DisplayStatus status) => status switch
    {
        DisplayStatus.Paid => "PAID ✔",
        DisplayStatus.Failed => "FAILED ✘",
        DisplayStatus.Expired => "EXPIRED",
        DisplayStatus.Cancelled => "CANCELLED",
        _ => "WAITING",
    };

    /// <summary>A one-line summary of a screen for logs and the plain (non-terminal) output.</summary>
    public static string Summary(DeviceScreen screen) => screen.Kind switch
    {
        DisplayScreenKind.Idle => "IDLE " + screen.MerchantName,
        DisplayScreenKind.Qr => string.Create(CultureInfo.InvariantCulture, $"QR {screen.PaymentId} {screen.AmountText()} {screen.MerchantName}{(screen.Offline ? " [offline]" : "")}"),
        DisplayScreenKind.Status => StatusLine(screen.Status) + " " + screen.PaymentId + " " + screen.AmountText(),
        _ => "BLANK",
    };

    private static string Countdown(int seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}:{seconds % 60:00}");
}
