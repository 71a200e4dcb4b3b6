using System.Globalization;

namespace Bakong.Payments.Reporting;

/// <summary>
/// A business day in the shop's time zone (<c>Reports:TimeZone</c>) and the instants it covers: from its local midnight
/// (inclusive) to the next one (exclusive). The one place that turns a date into bounds.
/// </summary>
/// <remarks>
/// Cambodia keeps no daylight saving time, but a configured zone may: a midnight that does not exist (clocks jump over
/// it) starts the day at the first local time that does, and an ambiguous one at its earlier instant, so consecutive
/// days always meet with neither gap nor overlap.
/// </remarks>
public sealed record BusinessDay
{
    /// <summary>How a date is written in requests: <c>2026-12-02</c>.</summary>
    public const string DateFormat = "yyyy-MM-dd";

    private BusinessDay(DateOnly date, TimeZoneInfo zone, DateTimeOffset start, DateTimeOffset end)
    {
        Date = date;
        Zone = zone;
        Start = start;
        End = end;
    }

    public DateOnly Date { get; }

    public TimeZoneInfo Zone { get; }

    /// <summary>The day's first instant (UTC).</summary>
    public DateTimeOffset Start { get; }

    /// <summary>The next day's first instant (UTC), not part of this day.</summary>
    public DateTimeOffset End { get; }

    public static BusinessDay Of(DateOnly date, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return new BusinessDay(date, zone, StartOf(date, zone), StartOf(date.AddDays(1), zone));
    }

    /// <summary>Reads <see cref="DateFormat"/> exactly (no time, no other order).</summary>
    public static bool TryParseDate(string? text, out DateOnly date) =>
        DateOnly.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>Whether <paramref name="instant"/> falls in this day.</summary>
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;

    public override string ToString() => Date.ToString(DateFormat, CultureInfo.InvariantCulture) + " (" + Zone.Id + ")";

    private static DateTimeOffset StartOf(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
