using System.Diagnostics.Metrics;

namespace Bakong.Payments.Polling;

/// <summary>
/// The poller's counters on the <c>Bakong.Payments</c> meter: <c>bakong.payments.checks</c> (tag <c>result</c>:
/// transfer, failed, not_found, not_found_reconciliation, static_qr, fault; faults also tag <c>fault</c> with the kind) and
/// <c>bakong.payments.transitions</c> (tag <c>state</c>, named as in <c>bakong.payments.settled</c>: paid, failed, expired,
/// paid_late), and the histogram <c>bakong.payments.poll.batch.size</c>: the md5s
/// asked per list call.
/// </summary>
internal sealed class PollerMetrics
{
    public const string MeterName = "Bakong.Payments";

    private readonly Counter<long> _checks;
    private readonly Counter<long> _transitions;
    private readonly Histogram<int> _batchSize;

    public PollerMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _checks = meter.CreateCounter<long>("bakong.payments.checks", "{check}", "Payments checked with Bakong, by result.");
        _transitions = meter.CreateCounter<long>("bakong.payments.transitions", "{transition}", "Payment state changes made by the poller.");
        _batchSize = meter.CreateHistogram(
            "bakong.payments.poll.batch.size",
            "{payment}",
            "Payments asked about in one md5-list call to Bakong (at most 50).",
            tags: null,
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 30, 40, 50] });
    }

    public void Checked(string result, int count = 1) =>
        _checks.Add(count, new KeyValuePair<string, object?>("result", result));

    public void Faulted(string kind, int count) =>
        _checks.Add(count, new KeyValuePair<string, object?>("result", "fault"), new KeyValuePair<string, object?>("fault", kind));

    public void Batch(int size) => _batchSize.Record(size);

    public void Transitioned(PaymentState state) =>
        _transitions.Add(1, new KeyValuePair<string, object?>("state", PaymentStateNames.Of(state)));
}
