using System.Globalization;

namespace Bakong.OpenApi.Audit;

/// <summary>
/// One page of an audit query, newest first: a time window (<see cref="Start"/> inclusive, <see cref="End"/>
/// exclusive; null for no bound), at most <see cref="PageSize"/> records, and where the previous page stopped.
/// </summary>
/// <remarks>
/// The order is (time, then the audit's own record id) descending, and the cursor is that pair, so a page boundary
/// inside one instant (a frozen test clock, or a burst within 100 ns) neither repeats nor skips a record.
/// </remarks>
public sealed record AuditQuery(DateTimeOffset? Start, DateTimeOffset? End, int PageSize, AuditCursor? After = null)
{
    /// <summary>The page size when none is asked for.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>The largest page: what one answer may hold, whatever the caller asks.</summary>
    public const int MaxPageSize = 1000;
}

/// <summary>The last record a page returned: its time (UTC ticks) and the audit's id for it.</summary>
public readonly record struct AuditCursor(long TimeTicks, long Id)
{
    /// <summary>The page token a client passes back: opaque to it, <c>ticks.id</c>.</summary>
    public string Encode() => string.Create(CultureInfo.InvariantCulture, $"{TimeTicks}.{Id}");

    /// <summary>Reads a token <see cref="Encode"/> made; false for anything else.</summary>
    public static bool TryParse(string? text, out AuditCursor cursor)
    {
        cursor = default;
        if (text is null || text.Length > 41)
        {
            return false;
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0
            || !long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || !long.TryParse(text.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        cursor = new AuditCursor(ticks, id);
        return true;
    }
}

/// <summary>A page of records, newest first, and the cursor of the next (older) page; null on the last.</summary>
public sealed record AuditPage<T>(IReadOnlyList<T> Records, AuditCursor? Next);

/// <summary>Which calls to Bakong a query keeps; null for any.</summary>
public sealed record BakongCallFilter(string? Endpoint = null, string? Outcome = null, int? ErrorCode = null);

/// <summary>Which API calls a query keeps; null for any.</summary>
public sealed record ApiCallFilter(string? ClientId = null, string? Action = null, string? Outcome = null);
