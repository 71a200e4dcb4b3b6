using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Bakong.OpenApi.Client;

/// <summary>
/// Every HTTP attempt to Bakong as telemetry, on the <c>Bakong.OpenApi</c> meter and activity source: the counter
/// <c>bakong.openapi.calls</c> and the histogram <c>bakong.openapi.call.duration</c> (seconds), both tagged
/// <c>bakong.endpoint</c> (<c>check_transaction_by_md5_list</c>, ...) and <c>bakong.outcome</c> (the audit's word:
/// Success, BakongError, Timeout, ServerError, ...), plus <c>bakong.error_code</c> for a Bakong error. One client
/// activity per attempt, parent of the HttpClient's own.
/// </summary>
internal sealed class BakongCallTelemetry
{
    /// <summary>The meter and the activity source (the token's <c>bakong.token.days_left</c> shares the meter).</summary>
    public const string Name = "Bakong.OpenApi";

    public static readonly ActivitySource Source = new(Name);

    private static readonly IReadOnlyList<double> s_latencyBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Counter<long>? _calls;
    private readonly Histogram<double>? _duration;

    /// <param name="meterFactory">Null (a host without metrics): activities only.</param>
    public BakongCallTelemetry(IMeterFactory? meterFactory)
    {
        if (meterFactory is null)
        {
            return;
        }

        var meter = meterFactory.Create(Name);
        _calls = meter.CreateCounter<long>("bakong.openapi.calls", "{call}", "HTTP attempts to the Bakong Open API, by endpoint and outcome.");
        _duration = meter.CreateHistogram(
            "bakong.openapi.call.duration",
            "s",
            "How long an HTTP attempt to the Bakong Open API took, by endpoint and outcome.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_latencyBuckets });
    }

    /// <summary>The activity of one attempt, or null when nobody listens.</summary>
    public static Activity? Start(string endpoint, string? subject, int attempt)
    {
        var activity = Source.StartActivity("bakong " + EndpointName(endpoint), ActivityKind.Client);
        activity?.SetTag("bakong.endpoint", EndpointName(endpoint));
        activity?.SetTag("bakong.subject", subject);
        activity?.SetTag("bakong.attempt", attempt);
        return activity;
    }

    public void Record(string endpoint, string outcome, int? errorCode, TimeSpan latency)
    {
        if (_calls is null || _duration is null)
        {
            return;
        }

        var tags = new TagList
        {
            { "bakong.endpoint", EndpointName(endpoint) },
            { "bakong.outcome", outcome },
        };
        if (errorCode is { } code)
        {
            tags.Add("bakong.error_code", code);
        }

        _calls.Add(1, tags);
        _duration.Record(latency.TotalSeconds, tags);
    }

    private static string EndpointName(string endpoint) => endpoint.StartsWith("v1/", StringComparison.Ordinal) ? endpoint[3..] : endpoint;
}
