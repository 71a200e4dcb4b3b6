using System.Diagnostics.Metrics;
using Bakong.Payments.Webhooks;

namespace Bakong.Payments.Telemetry;

/// <summary>
/// What every saved payment change means for the <c>Bakong.Payments</c> meter, seen as an
/// <see cref="IPaymentChangeSink"/> so creation, cancels and poll results all count the same way:
/// <c>bakong.payments.created</c> (tag <c>currency</c>), <c>bakong.payments.settled</c> (a terminal state reached; tag
/// <c>state</c>: paid, failed, expired, cancelled, paid_late) and <c>bakong.payments.settle.duration</c> (seconds from
/// creation to PAID).
/// </summary>
internal sealed class PaymentMetrics : IPaymentChangeSink
{
    /// <summary>The domain's meter and activity source.</summary>
    public const string MeterName = "Bakong.Payments";

    // A QR lives 5 minutes by default, 10 at most: the buckets cover that at the resolution a cashier notices.
    private static readonly IReadOnlyList<double> s_settleBuckets = [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];

    private readonly Counter<long> _created;
    private readonly Counter<long> _settled;
    private readonly Histogram<double> _settleDuration;

    public PaymentMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _created = meter.CreateCounter<long>("bakong.payments.created", "{payment}", "Payments created, by currency.");
        _settled = meter.CreateCounter<long>(
            "bakong.payments.settled", "{payment}", "Payments that reached a terminal state, by state (paid, failed, expired, cancelled, paid_late).");
        _settleDuration = meter.CreateHistogram(
            "bakong.payments.settle.duration",
            "s",
            "Time from creating a payment to it being PAID.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_settleBuckets });
    }

    public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            switch (e.Type)
            {
                case PaymentEventType.Created:
                    _created.Add(1, new KeyValuePair<string, object?>("currency", payment.Money.CurrencyCode));
                    break;
                case PaymentEventType.ReviewRequired:
                    break;
                default:
                    _settled.Add(1, new KeyValuePair<string, object?>("state", WebhookPayload.StateName(e.State)));
                    if (e.Type == PaymentEventType.Paid)
                    {
                        _settleDuration.Record((e.Time - payment.CreateTime).TotalSeconds);
                    }

                    break;
            }
        }
    }
}
