using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Bakong.Cli.Payments;

/// <summary>How the streams of a watch load ended; every stream is in exactly one of the last five.</summary>
/// <param name="Opened">Streams that delivered their first message.</param>
/// <param name="OpenFailed">Streams that failed before their first message (an error from the gateway or the connection).</param>
/// <param name="Paid">Streams that delivered PAID.</param>
/// <param name="EndedOtherwise">Streams that ended without PAID: another terminal state, or the gateway ended them.</param>
/// <param name="Failed">Streams that failed after their first message, before PAID.</param>
/// <param name="TimedOut">Streams that had not finished after <c>--timeout</c>, and were cancelled.</param>
internal sealed record WatchCounts(int Opened, int OpenFailed, int Paid, int EndedOtherwise, int Failed, int TimedOut);

/// <summary>A watch load's result, as a table or as JSON (lowerCamelCase, as the create load's).</summary>
/// <param name="Plan">What was asked.</param>
/// <param name="Connections">TCP connections the channels opened; null when a test routed them in-process.</param>
/// <param name="Counts">How the streams ended.</param>
/// <param name="OpenSeconds">From the first stream started to every stream's first message (or failure).</param>
/// <param name="SinceUpdate">
/// Per stream that saw PAID: from the PAID version's <c>update_time</c> (the start of the poll pass that found the money)
/// to the delivery here.
/// </param>
/// <param name="SinceFirstWatcher">Per stream that saw PAID: from the first delivery of PAID to any watcher of its payment.</param>
/// <param name="SincePay">Per stream that saw PAID: from its payment's pay call being sent to the delivery.</param>
/// <param name="GatewayRssBefore">The gateway's resident bytes before the payments were created; null without <c>--gateway-pid</c>.</param>
/// <param name="GatewayRssPeak">The highest resident bytes sampled during the run; null without <c>--gateway-pid</c>.</param>
/// <param name="ClientRssPeak">This client's highest resident bytes sampled during the run.</param>
/// <param name="LatePayments">
/// With <c>--paced</c>: payments that still had watchers without PAID after <c>--timeout</c> (the next was paid anyway);
/// null without it.
/// </param>
internal sealed record WatchLoadResult(
    WatchPlan Plan,
    int? Connections,
    WatchCounts Counts,
    double OpenSeconds,
    LoadSummary SinceUpdate,
    LoadSummary SinceFirstWatcher,
    LoadSummary SincePay,
    long? GatewayRssBefore,
    long? GatewayRssPeak,
    long ClientRssPeak,
    int? LatePayments)
{
    public JsonObject ToJson() => new()
    {
        ["mode"] = "watch",
        ["watchers"] = Plan.Watchers,
        ["payments"] = Plan.Payments,
        ["channels"] = Plan.Channels,
        ["paced"] = Plan.Paced,
        ["latePayments"] = LatePayments,
        ["connections"] = Connections,
        ["opened"] = Counts.Opened,
        ["openFailed"] = Counts.OpenFailed,
        ["paid"] = Counts.Paid,
        ["endedOtherwise"] = Counts.EndedOtherwise,
        ["failed"] = Counts.Failed,
        ["timedOut"] = Counts.TimedOut,
        ["openSeconds"] = Math.Round(OpenSeconds, 3),
        ["sinceUpdate"] = Latencies(SinceUpdate),
        ["sinceFirstWatcher"] = Latencies(SinceFirstWatcher),
        ["sincePay"] = Latencies(SincePay),
        ["gatewayPid"] = Plan.GatewayPid,
        ["gatewayRssBeforeMiB"] = MiB(GatewayRssBefore),
        ["gatewayRssPeakMiB"] = MiB(GatewayRssPeak),
        ["clientRssPeakMiB"] = MiB(ClientRssPeak),
    };

    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"watch load: {Plan.Watchers} streams on {Plan.Payments} payments over {Plan.Channels} channel{(Plan.Channels == 1 ? "" : "s")}")
            .Append(Connections is { } connections ? string.Create(CultureInfo.InvariantCulture, $" ({connections} connections)") : "")
            .Append('\n')
            .Append(Plan.Paced
                ? string.Create(
                    CultureInfo.InvariantCulture,
                    $"paced: one payment at a time, each paid once every watcher of the one before saw PAID ({LatePayments ?? 0} paid after --timeout instead)\n")
                : "paced: no, every payment paid at once (a burst of their changes)\n")
            .Append(CultureInfo.InvariantCulture, $"streams: {Counts.Opened} opened in {OpenSeconds:F1} s, {Counts.OpenFailed} failed to open; ")
            .Append(CultureInfo.InvariantCulture, $"{Counts.Paid} saw PAID, {Counts.EndedOtherwise} ended otherwise, {Counts.Failed} failed, {Counts.TimedOut} timed out\n")
            .Append(CultureInfo.InvariantCulture, $"{"PAID reached each watcher",-36} {"p50 ms",9} {"p90 ms",9} {"p99 ms",9} {"max ms",9}\n")
            .Append(Row("after update_time (the poll pass)", SinceUpdate))
            .Append(Row("after its payment's first watcher", SinceFirstWatcher))
            .Append(Row("after the pay call (with the poll)", SincePay));
        if (Plan.GatewayPid is { } pid)
        {
            text.Append(CultureInfo.InvariantCulture, $"gateway RSS (pid {pid}): {Size(GatewayRssBefore)} before, {Size(GatewayRssPeak)} at the peak; ");
        }

        return text.Append(CultureInfo.InvariantCulture, $"this client's RSS at the peak: {Size(ClientRssPeak)}").ToString();
    }

    private static string Row(string name, LoadSummary summary) =>
        string.Create(CultureInfo.InvariantCulture, $"{name,-36} {Cell(summary.P50Ms)} {Cell(summary.P90Ms)} {Cell(summary.P99Ms)} {Cell(summary.MaxMs)}\n");

    private static JsonObject Latencies(LoadSummary summary) => new()
    {
        ["p50Ms"] = Round(summary.P50Ms),
        ["p90Ms"] = Round(summary.P90Ms),
        ["p99Ms"] = Round(summary.P99Ms),
        ["maxMs"] = Round(summary.MaxMs),
    };

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 2) : null;

    private static double? MiB(long? bytes) => bytes is { } b ? Math.Round(b / (1024.0 * 1024.0), 1) : null;

    private static string Size(long? bytes) => MiB(bytes) is { } mib ? mib.ToString("F1", CultureInfo.InvariantCulture) + " MiB" : "-";

    private static string Cell(double? value) =>
        (value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "-").PadLeft(9);
}
