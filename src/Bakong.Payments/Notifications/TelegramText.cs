using System.Globalization;

namespace Bakong.Payments.Notifications;

/// <summary>
/// The announcement: "Received 12.50 USD · POS-01 · 21:04" in the shop's time zone (<c>Reports:TimeZone</c>), or its
/// Khmer twin. Digits stay Western in both: amounts and times in Cambodian bank apps' notifications are written so.
/// </summary>
internal static class TelegramText
{
    public static bool IsLanguage(string? language) => language is "en" or "km";

    /// <summary>The text of a <c>payment.paid</c> or <c>payment.paid_late</c> event.</summary>
    public static string For(Payment payment, bool late, DateTimeOffset settled, TimeZoneInfo zone, string language)
    {
        var amount = payment.Money.ToString();
        var time = TimeZoneInfo.ConvertTime(settled, zone).ToString("HH:mm", CultureInfo.InvariantCulture);

        // "បានទទួល" = "received"; "(បង់ក្រោយផុតកំណត់)" = "(paid after it expired)".
        return language == "km"
            ? $"បានទទួល {amount} · {payment.TerminalId} · {time}" + (late ? " (បង់ក្រោយផុតកំណត់)" : "")
            : $"Received {amount} · {payment.TerminalId} · {time}" + (late ? " (paid after expiry)" : "");
    }

    /// <summary>The message <c>bakong notify telegram test</c> sends.</summary>
    public static string Test(string language) => language == "km"
        // "សារសាកល្បង" = "test message"; "ការជូនដំណឹងពីការទូទាត់នឹងមកដល់ទីនេះ" = "payment announcements will arrive here".
        ? "សារសាកល្បងពី Bakong gateway៖ ការជូនដំណឹងពីការទូទាត់នឹងមកដល់ទីនេះ។"
        : "Test message from the Bakong gateway: payment announcements will arrive here.";
}
