using System.Diagnostics.Metrics;

namespace Bakong.Payments.Telemetry;

/// <summary>
/// What every saved payment change means for the <c>Bakong.Payments</c> meter, seen as an
/// <see cref="IPaymentChangeSink"/> so creation, cancels and poll results all count the same way:
/// <c>bakong.payments.created</c> (tag <c>currency</c>), <c>bakong.payments.settled</c> (a terminal state reached; tag
/// <c>state</c>: paid, failed, expired, cancelled, paid_late) and <c>bakong.payments.settle.duration</c> (seconds from
/// creation to PAID), and the observable gauge <c>bakong.payments.current</c> (payments in each state now; tag
/// <c>state</c> with the same names, pending first among them).
/// </summary>
/// <remarks>
/// The gauge is kept in memory, exact: <see cref="Seed"/> sets it once from the store's counts at start
/// (<see cref="PaymentStateSeeding"/>, as the host is starting, so before the poller and the gRPC endpoints can save
/// anything), and every saved change then moves it. Until seeded it reports nothing rather than a wrong number.
/// </remarks>
internal sealed class PaymentMetrics : IPaymentChangeSink
{
    /// <summary>The domain's meter and activity source.</summary>
    public const string MeterName = "Bakong.Payments";

    // A QR lives 5 minutes by default, 10 at most: the buckets cover that at the resolution a cashier notices.
    private static readonly IReadOnlyList<double> s_settleBuckets = [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];

    // Every state, pending first: the gauge reports each one, 0 included.
    private static readonly PaymentState[] s_states = Enum.GetValues<PaymentState>();

    private readonly Counter<long> _created;
    private readonly Counter<long> _settled;
    private readonly Histogram<double> _settleDuration;
    private readonly Lock _gate = new();

    // Indexed by the PaymentState value; null until seeded.
    private long[]? _current;

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
        meter.CreateObservableGauge(
            "bakong.payments.current",
            ObserveCurrent,
            "{payment}",
            "Payments in each state now, by state (pending, paid, failed, expired, cancelled, paid_late); seeded from the store at start.");
    }

    /// <summary>Whether <see cref="Seed"/> has run: the gauge reports from then on.</summary>
    public bool IsSeeded
    {
        get
        {
            lock (_gate)
            {
                return _current is not null;
            }
        }
    }

    /// <summary>
    /// Sets the gauge to the store's counts. Changes saved before this are in those counts already, so whatever was
    /// counted before is replaced, not added to; changes saved after it move the counts.
    /// </summary>
    public void Seed(IReadOnlyDictionary<PaymentState, long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var current = new long[s_states.Max(s => (int)s) + 1];
        foreach (var (state, count) in counts)
        {
            current[(int)state] = count;
        }

        lock (_gate)
        {
            _current = current;
        }
    }

    public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(payment);
        ArgumentNullException.ThrowIfNull(events);
        Move(payment, events);
        foreach (var e in events)
        {
            switch (e.Type)
            {
                case PaymentEventType.Created:
                    _created.Add(1, new KeyValuePair<string, object?>("currency", payment.Money.CurrencyCode));
                    break;
                case PaymentEventType.ReviewRequired or PaymentEventType.Resolved:
                    break;
                default:
                    _settled.Add(1, new KeyValuePair<string, object?>("state", PaymentStateNames.Of(e.State)));
                    if (e.Type == PaymentEventType.Paid)
                    {
                        _settleDuration.Record((e.Time - payment.CreateTime).TotalSeconds);
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// The gauge's side of a saved change: a creation adds a pending payment; a transition takes the payment out of the
    /// state before it (the previous event's) and into its own. A review flag changes no state.
    /// </summary>
    private void Move(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_current is not { } current)
            {
                return; // Not seeded: the seed will count this payment as the store holds it.
            }

            foreach (var e in events)
            {
                if (e.Type is PaymentEventType.ReviewRequired or PaymentEventType.Resolved)
                {
                    continue;
                }

                if (e.Type != PaymentEventType.Created)
                {
                    current[(int)StateBefore(payment.Events, e)]--;
                }

                current[(int)e.State]++;
            }
        }
    }

    /// <summary>The state of the event before <paramref name="e"/> (by version) in the payment's event list.</summary>
    private static PaymentState StateBefore(IReadOnlyList<PaymentEvent> all, PaymentEvent e)
    {
        for (var i = all.Count - 1; i >= 0; i--)
        {
            if (all[i].Version < e.Version)
            {
                return all[i].State;
            }
        }

        return PaymentState.Pending; // Every payment starts pending (its Created event).
    }

    private IEnumerable<Measurement<long>> ObserveCurrent()
    {
        long[] snapshot;
        lock (_gate)
        {
            if (_current is null)
            {
                return [];
            }

            snapshot = (long[])_current.Clone();
        }

        return Array.ConvertAll(
            s_states, s => new Measurement<long>(snapshot[(int)s], new KeyValuePair<string, object?>("state", PaymentStateNames.Of(s))));
    }
}
