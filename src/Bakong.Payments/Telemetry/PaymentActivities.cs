using System.Diagnostics;

namespace Bakong.Payments.Telemetry;

/// <summary>The domain's activity source (<c>Bakong.Payments</c>, as its meter): one activity per poller pass.</summary>
internal static class PaymentActivities
{
    public static readonly ActivitySource Source = new(PaymentMetrics.MeterName);
}
