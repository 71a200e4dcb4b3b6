using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Bakong.Cli.Payments;

/// <summary>A measured run: its plan and each kind's summary, as a table or as JSON.</summary>
internal sealed record LoadResult(LoadPlan Plan, LoadSummary Create, LoadSummary Health)
{
    public const string CreateName = "CreatePayment";
    public const string HealthName = "Health/Check";

    /// <summary>Creates per second over health checks per second; null when either is unknown or none answered.</summary>
    public double? Ratio => Create.PerSecond is { } creates && Health.PerSecond is { } checks && checks > 0 ? creates / checks : null;

    public JsonObject ToJson() => new()
    {
        ["mode"] = Plan.Rate is null ? "closed" : "open",
        ["rate"] = Plan.Rate,
        ["concurrency"] = Plan.Concurrency,
        ["rounds"] = Plan.Rounds,
        ["create"] = Kind(Create),
        ["health"] = Kind(Health),
        ["ratio"] = Round(Ratio, 3),
    };

    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(Plan.Rate is { } rate
                ? $"open loop: {rate} calls/s offered, at most {Plan.Concurrency} in flight"
                : $"closed loop: {Plan.Concurrency} calls in flight")
            .Append(CultureInfo.InvariantCulture, $"; {Plan.Count} calls of each kind {(Plan.Rate is null ? "" : "offered ")}in {Plan.Rounds} rounds\n")
            .Append(CultureInfo.InvariantCulture, $"{"",-14} {"calls",7} {"errors",7} {"could not start",16} {"per s",9} {"p50 ms",9} {"p90 ms",9} {"p99 ms",9} {"max ms",9}\n");
        foreach (var (name, kind) in new[] { (CreateName, Create), (HealthName, Health) })
        {
            text.Append(CultureInfo.InvariantCulture, $"{name,-14} {kind.Calls,7} {kind.Errors,7} {kind.CouldNotStart,16} ")
                .Append(CultureInfo.InvariantCulture, $"{Cell(kind.PerSecond, 1)} {Cell(kind.P50Ms, 2)} {Cell(kind.P90Ms, 2)} {Cell(kind.P99Ms, 2)} {Cell(kind.MaxMs, 2)}\n");
        }

        return text.Append(CultureInfo.InvariantCulture, $"{CreateName} / {HealthName} throughput: {Cell(Ratio, 3).Trim()}").ToString();
    }

    private static JsonObject Kind(LoadSummary kind) => new()
    {
        ["calls"] = kind.Calls,
        ["errors"] = kind.Errors,
        ["couldNotStart"] = kind.CouldNotStart,
        ["seconds"] = Math.Round(kind.Seconds, 3),
        ["perSecond"] = Round(kind.PerSecond, 1),
        ["p50Ms"] = Round(kind.P50Ms, 2),
        ["p90Ms"] = Round(kind.P90Ms, 2),
        ["p99Ms"] = Round(kind.P99Ms, 2),
        ["maxMs"] = Round(kind.MaxMs, 2),
    };

    private static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;

    private static string Cell(double? value, int digits) =>
        (value is { } v ? v.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "-").PadLeft(9);
}
