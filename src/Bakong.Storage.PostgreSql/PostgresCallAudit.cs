using System.Text;
using Bakong.OpenApi.Audit;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Bakong.Storage.PostgreSql;

/// <summary>
/// The audits (<see cref="CallAudit"/>) in the tables <c>bakong_calls</c> and <c>api_calls</c> of the gateway's
/// database (migration 0040), so a PostgreSQL gateway keeps no audit file and every replica's calls are in one place.
/// The write path is <see cref="CallAudit"/>'s: records queue in memory and the writer inserts each batch with one
/// statement per table (arrays unnested, in the order recorded), so a call never waits for PostgreSQL; while PostgreSQL
/// is down a batch fails, is logged with its count and is not retried (the records' log events were written).
/// </summary>
/// <remarks>
/// Several replicas prune the same tables: each prune deletes what is past the retention and beyond the newest
/// <see cref="BakongCallAuditOptions.MaxRecords"/> by id, so two at once delete nothing twice.
/// </remarks>
internal sealed class PostgresCallAudit : CallAudit
{
    private const string BakongColumns = "time, endpoint, subject, http_status, response_code, error_code, response_message, latency, attempt, outcome";
    private const string ApiColumns = "time, client, peer, action, target, outcome, auth";

    private readonly PostgresDatabase _database;
    private readonly BakongCallAuditOptions _options;
    private readonly TimeProvider _timeProvider;

    public PostgresCallAudit(PostgresDatabase database, BakongCallAuditOptions options, TimeProvider timeProvider, ILogger<PostgresCallAudit> logger)
        : base(options, logger)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _database = database;
        _options = options;
        _timeProvider = timeProvider;
    }

    public override Task<AuditPage<BakongCallRecord>> PageBakongCallsAsync(AuditQuery query, BakongCallFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var filters = new List<(string Column, object Value)>(3);
        AddEquals(filters, "endpoint", filter.Endpoint);
        AddEquals(filters, "outcome", filter.Outcome);
        if (filter.ErrorCode is { } errorCode)
        {
            filters.Add(("error_code", errorCode));
        }

        return PageAsync("bakong_calls", BakongColumns, query, filters, ReadBakongCall, cancellationToken);
    }

    public override Task<AuditPage<ApiCallRecord>> PageApiCallsAsync(AuditQuery query, ApiCallFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var filters = new List<(string Column, object Value)>(3);
        AddEquals(filters, "client", filter.ClientId);
        AddEquals(filters, "action", filter.Action);
        AddEquals(filters, "outcome", filter.Outcome);
        return PageAsync("api_calls", ApiColumns, query, filters, ReadApiCall, cancellationToken);
    }

    public override async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = (_timeProvider.GetUtcNow() - _options.Retention).UtcTicks;
        var deleted = 0;
        await using var connection = await _database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var table in (string[])["bakong_calls", "api_calls"])
        {
            // Table names are this class's constants; the values are parameters.
            await using var old = new NpgsqlCommand($"DELETE FROM {table} WHERE time < @cutoff", connection);
            old.Parameters.AddWithValue("cutoff", cutoff);
            deleted += await old.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

            await using var excess = new NpgsqlCommand(
                $"DELETE FROM {table} WHERE id <= (SELECT id FROM {table} ORDER BY id DESC OFFSET @keep LIMIT 1)", connection);
            excess.Parameters.AddWithValue("keep", (long)_options.MaxRecords);
            deleted += await excess.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        Pruned(deleted, _options);
        return deleted;
    }

    private protected override async Task WriteAsync(IReadOnlyList<BakongCallRecord> calls, IReadOnlyList<ApiCallRecord> apiCalls, CancellationToken cancellationToken)
    {
        await using var batch = _database.DataSource.CreateBatch();
        if (calls.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(
                $"""
                INSERT INTO bakong_calls ({BakongColumns})
                SELECT {BakongColumns} FROM unnest(@time, @endpoint, @subject, @http_status, @response_code, @error_code, @response_message, @latency, @attempt, @outcome)
                    WITH ORDINALITY AS r({BakongColumns}, n)
                ORDER BY n
                """);
            Add(insert, "time", NpgsqlDbType.Bigint, calls.Select(c => c.Time.UtcTicks).ToArray());
            Add(insert, "endpoint", NpgsqlDbType.Text, calls.Select(c => Text(c.Endpoint)).ToArray());
            Add(insert, "subject", NpgsqlDbType.Text, calls.Select(c => Text(c.Subject)).ToArray());
            Add(insert, "http_status", NpgsqlDbType.Integer, calls.Select(c => c.HttpStatus).ToArray());
            Add(insert, "response_code", NpgsqlDbType.Integer, calls.Select(c => c.ResponseCode).ToArray());
            Add(insert, "error_code", NpgsqlDbType.Integer, calls.Select(c => c.ErrorCode).ToArray());
            Add(insert, "response_message", NpgsqlDbType.Text, calls.Select(c => Text(c.ResponseMessage)).ToArray());
            Add(insert, "latency", NpgsqlDbType.Bigint, calls.Select(c => c.Latency.Ticks).ToArray());
            Add(insert, "attempt", NpgsqlDbType.Integer, calls.Select(c => c.Attempt).ToArray());
            Add(insert, "outcome", NpgsqlDbType.Text, calls.Select(c => Text(c.Outcome)).ToArray());
            batch.BatchCommands.Add(insert);
        }

        if (apiCalls.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(
                $"""
                INSERT INTO api_calls ({ApiColumns})
                SELECT {ApiColumns} FROM unnest(@time, @client, @peer, @action, @target, @outcome, @auth)
                    WITH ORDINALITY AS r({ApiColumns}, n)
                ORDER BY n
                """);
            Add(insert, "time", NpgsqlDbType.Bigint, apiCalls.Select(c => c.Time.UtcTicks).ToArray());
            Add(insert, "client", NpgsqlDbType.Text, apiCalls.Select(c => Text(c.ClientId)).ToArray());
            Add(insert, "peer", NpgsqlDbType.Text, apiCalls.Select(c => Text(c.Peer)).ToArray());
            Add(insert, "action", NpgsqlDbType.Text, apiCalls.Select(c => Text(c.Action)).ToArray());
            Add(insert, "target", NpgsqlDbType.Text, apiCalls.Select(c => Text(c.Target)).ToArray());
            Add(insert, "outcome", NpgsqlDbType.Text, apiCalls.Select(c => Text(c.Outcome)).ToArray());
            Add(insert, "auth", NpgsqlDbType.Text, apiCalls.Select(c => Text(c.Auth)).ToArray());
            batch.BatchCommands.Add(insert);
        }

        if (batch.BatchCommands.Count > 0)
        {
            // One round trip; a batch runs in one implicit transaction, so both tables get the batch or neither.
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Add<T>(NpgsqlBatchCommand command, string name, NpgsqlDbType type, T[] values) =>
        command.Parameters.Add(new NpgsqlParameter<T[]>(name, NpgsqlDbType.Array | type) { TypedValue = values });

    /// <summary>PostgreSQL's text refuses NUL, which LiteDB kept: it becomes U+FFFD rather than fail the whole batch.</summary>
    private static string? Text(string? value) => value is null || !value.Contains('\0', StringComparison.Ordinal) ? value : value.Replace('\0', '\uFFFD');

    private static void AddEquals(List<(string Column, object Value)> filters, string column, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            filters.Add((column, value));
        }
    }

    /// <summary>
    /// Newest first by (time, id), after the cursor's pair; one record more than the page says whether another follows.
    /// The statement is built from the window's bounds and the filters present (column names are this class's; every
    /// value is a parameter), so each shape uses its index.
    /// </summary>
    private async Task<AuditPage<T>> PageAsync<T>(
        string table, string columns, AuditQuery query, List<(string Column, object Value)> filters, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageSize);
        var take = Math.Min(query.PageSize, AuditQuery.MaxPageSize) + 1;
        await using var command = _database.DataSource.CreateCommand();
        var where = new StringBuilder("TRUE");
        if (query.Start is { } start)
        {
            where.Append(" AND time >= @start");
            command.Parameters.AddWithValue("start", start.UtcTicks);
        }

        if (query.End is { } end)
        {
            where.Append(" AND time < @end");
            command.Parameters.AddWithValue("end", end.UtcTicks);
        }

        if (query.After is { } after)
        {
            where.Append(" AND (time, id) < (@after_time, @after_id)");
            command.Parameters.AddWithValue("after_time", after.TimeTicks);
            command.Parameters.AddWithValue("after_id", after.Id);
        }

        foreach (var (column, value) in filters)
        {
            where.Append(" AND ").Append(column).Append(" = @").Append(column);
            command.Parameters.AddWithValue(column, value);
        }

        command.CommandText = $"SELECT id, {columns} FROM {table} WHERE {where} ORDER BY time DESC, id DESC LIMIT @take";
        command.Parameters.AddWithValue("take", take);
        var rows = new List<(long Time, long Id, T Record)>(take);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetInt64(1), reader.GetInt64(0), read(reader)));
            }
        }

        AuditCursor? next = null;
        if (rows.Count == take)
        {
            rows.RemoveAt(rows.Count - 1);
            next = new AuditCursor(rows[^1].Time, rows[^1].Id);
        }

        return new AuditPage<T>([.. rows.Select(r => r.Record)], next);
    }

    // Column 0 is the id; the record's columns follow in the order of BakongColumns / ApiColumns.
    private static BakongCallRecord ReadBakongCall(NpgsqlDataReader reader) => new(
        new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetInt32(4),
        reader.IsDBNull(5) ? null : reader.GetInt32(5),
        reader.IsDBNull(6) ? null : reader.GetInt32(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        TimeSpan.FromTicks(reader.GetInt64(8)),
        reader.GetInt32(9),
        reader.GetString(10));

    private static ApiCallRecord ReadApiCall(NpgsqlDataReader reader) => new(
        new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.GetString(6))
    {
        Auth = reader.GetString(7),
    };
}
