using Bakong.OpenApi.Storage;
using LiteDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Audit;

/// <summary>
/// The audits (<see cref="CallAudit"/>) in LiteDB: the calls to Bakong (collection <c>bakong_calls</c>) and the API
/// calls (<c>api_calls</c>) in the data directory's <c>bakong-audit.db</c>. The file is held with a
/// <see cref="StoreLock"/>, so <c>bakong audit list</c> or a <c>bakong token</c> command refuses it while a gateway
/// has it open. The database engine's own errors in opening, querying or pruning leave it as a
/// <see cref="StoreException"/>.
/// </summary>
public sealed class LiteDbCallAudit : CallAudit, IStoreSnapshot, IDisposable
{
    private const string CollectionName = "bakong_calls";
    private const string ApiCollectionName = "api_calls";
    private const string Label = "call audit";

    private readonly BakongCallAuditOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly StoreLock _lock;
    private readonly string _path;
    private readonly LiteDatabase _database;
    private readonly ILiteCollection<BsonDocument> _calls;
    private readonly ILiteCollection<BsonDocument> _apiCalls;

    // LiteDB makes each call atomic, not a prune's count-find-delete: two prunes interleaved (the writer's timer and
    // an operator's, or two timers' worth after a stall) would each delete the excess they counted, together twice it.
    // Every write to the collection takes this gate, so a prune sees one state from its count to its delete.
    private readonly Lock _writeGate = new();

    public LiteDbCallAudit(IOptions<BakongCallAuditOptions> options, TimeProvider timeProvider, ILogger<LiteDbCallAudit> logger)
        : base((options ?? throw new ArgumentNullException(nameof(options))).Value, logger)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options.Value;
        _timeProvider = timeProvider;

        _path = Path.GetFullPath(_options.DatabasePath);
        var path = _path;
        (_lock, _database) = StoreFile.Open(
            path,
            Label,
            () => new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct }),
            database =>
            {
                var calls = database.GetCollection(CollectionName, BsonAutoId.Int64);
                calls.EnsureIndex("time");
                calls.EnsureIndex("endpoint");
                var apiCalls = database.GetCollection(ApiCollectionName, BsonAutoId.Int64);
                apiCalls.EnsureIndex("time");
                apiCalls.EnsureIndex("client");
            });
        _calls = _database.GetCollection(CollectionName, BsonAutoId.Int64);
        _apiCalls = _database.GetCollection(ApiCollectionName, BsonAutoId.Int64);
    }

    /// <summary>
    /// The API calls at or after <paramref name="since"/>, newest first, optionally only one client's, at most
    /// <paramref name="limit"/>. Backs <c>bakong audit api</c>.
    /// </summary>
    public IReadOnlyList<ApiCallRecord> QueryApi(DateTimeOffset since, string? clientId = null, int limit = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return StoreFile.Use(_path, Label, () =>
        {
            var query = _apiCalls.Query().Where(LiteDB.Query.GTE("time", since.UtcTicks));
            if (!string.IsNullOrWhiteSpace(clientId))
            {
                query = query.Where(LiteDB.Query.EQ("client", clientId));
            }

            return (IReadOnlyList<ApiCallRecord>)[.. query.OrderByDescending("time").Limit(limit).ToList().Select(ApiFromDocument)];
        });
    }

    /// <summary>
    /// The records at or after <paramref name="since"/>, newest first, optionally only for one endpoint (as the
    /// client names it), at most <paramref name="limit"/>. Backs <c>bakong audit list --since 1h</c>.
    /// </summary>
    public IReadOnlyList<BakongCallRecord> Query(DateTimeOffset since, string? endpoint = null, int limit = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return StoreFile.Use(_path, Label, () =>
        {
            var query = _calls.Query().Where(LiteDB.Query.GTE("time", since.UtcTicks));
            if (!string.IsNullOrWhiteSpace(endpoint))
            {
                query = query.Where(LiteDB.Query.EQ("endpoint", endpoint));
            }

            var rows = query.OrderByDescending("time").Limit(limit).ToList();
            var records = new List<BakongCallRecord>(rows.Count);
            foreach (var row in rows)
            {
                records.Add(FromDocument(row));
            }

            return records;
        });
    }

    /// <summary>
    /// One page of the calls to Bakong in <paramref name="query"/>'s window that <paramref name="filter"/> keeps, newest
    /// first. Backs the admin API's <c>ListBakongCalls</c>.
    /// </summary>
    public AuditPage<BakongCallRecord> PageBakongCalls(AuditQuery query, BakongCallFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var filters = new List<BsonExpression>(3);
        AddEquals(filters, "endpoint", filter.Endpoint);
        AddEquals(filters, "outcome", filter.Outcome);
        if (filter.ErrorCode is { } errorCode)
        {
            filters.Add(LiteDB.Query.EQ("errorCode", errorCode));
        }

        return Page(_calls, query, filters, FromDocument);
    }

    /// <summary>
    /// One page of the API calls in <paramref name="query"/>'s window that <paramref name="filter"/> keeps, newest
    /// first. Backs the admin API's <c>ListApiCalls</c>.
    /// </summary>
    public AuditPage<ApiCallRecord> PageApiCalls(AuditQuery query, ApiCallFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var filters = new List<BsonExpression>(3);
        AddEquals(filters, "client", filter.ClientId);
        AddEquals(filters, "action", filter.Action);
        AddEquals(filters, "outcome", filter.Outcome);
        return Page(_apiCalls, query, filters, ApiFromDocument);
    }

    public override Task<AuditPage<BakongCallRecord>> PageBakongCallsAsync(AuditQuery query, BakongCallFilter filter, CancellationToken cancellationToken) =>
        Task.FromResult(PageBakongCalls(query, filter));

    public override Task<AuditPage<ApiCallRecord>> PageApiCallsAsync(AuditQuery query, ApiCallFilter filter, CancellationToken cancellationToken) =>
        Task.FromResult(PageApiCalls(query, filter));

    public override Task<int> PruneAsync(CancellationToken cancellationToken) => Task.FromResult(Prune());

    /// <summary>
    /// Deletes records older than the retention and the oldest beyond the maximum count, in the Bakong call audit and
    /// the API audit alike (each holds at most the maximum).
    /// </summary>
    public int Prune()
    {
        int deleted;
        lock (_writeGate)
        {
            deleted = StoreFile.Use(_path, Label, () =>
            {
                var cutoff = (_timeProvider.GetUtcNow() - _options.Retention).UtcTicks;
                var count = 0;
                foreach (var collection in (ReadOnlySpan<ILiteCollection<BsonDocument>>)[_calls, _apiCalls])
                {
                    count += collection.DeleteMany(LiteDB.Query.LT("time", cutoff));
                    var excess = collection.Count() - _options.MaxRecords;
                    if (excess > 0)
                    {
                        var last = collection.Find(LiteDB.Query.All("_id", LiteDB.Query.Ascending), skip: excess - 1, limit: 1).FirstOrDefault();
                        if (last is not null)
                        {
                            count += collection.DeleteMany(LiteDB.Query.LTE("_id", last["_id"]));
                        }
                    }
                }

                return count;
            });
        }

        Pruned(deleted, _options);
        return deleted;
    }

    public string StoreName => BackupCatalog.Audit;

    /// <summary>A checkpointed copy of the database; the writer waits meanwhile (records queue, as in any stall).</summary>
    public void CopyTo(string destinationFile)
    {
        lock (_writeGate)
        {
            StoreFile.Use(_path, Label, () =>
            {
                StoreSnapshot.CopyOpen(_database, _path, destinationFile);
                return true;
            });
        }
    }

    public void Dispose()
    {
        Complete();
        _database.Dispose();
        _lock.Dispose();
    }

    private protected override Task WriteAsync(IReadOnlyList<BakongCallRecord> calls, IReadOnlyList<ApiCallRecord> apiCalls, CancellationToken cancellationToken)
    {
        lock (_writeGate)
        {
            if (calls.Count > 0)
            {
                _calls.InsertBulk(calls.Select(ToDocument));
            }

            if (apiCalls.Count > 0)
            {
                _apiCalls.InsertBulk(apiCalls.Select(ToDocument));
            }
        }

        return Task.CompletedTask;
    }

    private static void AddEquals(List<BsonExpression> filters, string field, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            filters.Add(LiteDB.Query.EQ(field, value));
        }
    }

    /// <summary>
    /// Newest first by (time, id): the rest of the cursor's own instant by id, then older instants by the time index;
    /// the last instant a page reaches is read whole by id, so the order inside an instant never depends on the index.
    /// One record more than the page says whether another page follows.
    /// </summary>
    private AuditPage<T> Page<T>(ILiteCollection<BsonDocument> collection, AuditQuery query, List<BsonExpression> filters, Func<BsonDocument, T> map)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageSize);
        var take = Math.Min(query.PageSize, AuditQuery.MaxPageSize) + 1;
        var start = query.Start?.UtcTicks ?? long.MinValue;
        var end = query.End?.UtcTicks ?? long.MaxValue;
        return StoreFile.Use(_path, Label, () =>
        {
            var rows = new List<BsonDocument>(take);
            if (query.After is { } after)
            {
                if (after.TimeTicks >= start && after.TimeTicks < end)
                {
                    rows.AddRange(Instant(after.TimeTicks).Where(LiteDB.Query.LT("_id", after.Id)).OrderByDescending("_id").Limit(take).ToList());
                }

                end = Math.Min(end, after.TimeTicks);
            }

            if (rows.Count < take && start < end)
            {
                var older = Where(collection.Query().Where(LiteDB.Query.GTE("time", start)).Where(LiteDB.Query.LT("time", end)))
                    .OrderByDescending("time").Limit(take - rows.Count).ToList();
                if (older.Count > 0)
                {
                    var last = older[^1]["time"].AsInt64;
                    rows.AddRange(older.Where(row => row["time"].AsInt64 != last));
                    rows.AddRange(Instant(last).OrderByDescending("_id").Limit(take - rows.Count).ToList());
                }
            }

            AuditCursor? next = null;
            if (rows.Count == take)
            {
                rows.RemoveAt(rows.Count - 1);
                next = new AuditCursor(rows[^1]["time"].AsInt64, rows[^1]["_id"].AsInt64);
            }

            return new AuditPage<T>([.. rows.Select(map)], next);
        });

        ILiteQueryable<BsonDocument> Instant(long ticks) => Where(collection.Query().Where(LiteDB.Query.EQ("time", ticks)));

        ILiteQueryable<BsonDocument> Where(ILiteQueryable<BsonDocument> queryable)
        {
            foreach (var filter in filters)
            {
                queryable = queryable.Where(filter);
            }

            return queryable;
        }
    }

    private static BsonDocument ToDocument(BakongCallRecord record) => new()
    {
        ["time"] = record.Time.UtcTicks,
        ["endpoint"] = record.Endpoint,
        ["subject"] = record.Subject,
        ["httpStatus"] = record.HttpStatus,
        ["responseCode"] = record.ResponseCode,
        ["errorCode"] = record.ErrorCode,
        ["responseMessage"] = record.ResponseMessage,
        ["latency"] = record.Latency.Ticks,
        ["attempt"] = record.Attempt,
        ["outcome"] = record.Outcome,
    };

    private static BakongCallRecord FromDocument(BsonDocument row) => new(
        new DateTimeOffset(row["time"].AsInt64, TimeSpan.Zero),
        row["endpoint"].AsString ?? string.Empty,
        NullableString(row["subject"]),
        NullableInt(row["httpStatus"]),
        NullableInt(row["responseCode"]),
        NullableInt(row["errorCode"]),
        NullableString(row["responseMessage"]),
        TimeSpan.FromTicks(row["latency"].AsInt64),
        row["attempt"].AsInt32,
        row["outcome"].AsString ?? string.Empty);

    private static BsonDocument ToDocument(ApiCallRecord record) => new()
    {
        ["time"] = record.Time.UtcTicks,
        ["client"] = record.ClientId,
        ["peer"] = record.Peer,
        ["action"] = record.Action,
        ["target"] = record.Target,
        ["outcome"] = record.Outcome,
        ["auth"] = record.Auth,
    };

    private static ApiCallRecord ApiFromDocument(BsonDocument row) => new(
        new DateTimeOffset(row["time"].AsInt64, TimeSpan.Zero),
        row["client"].AsString ?? "-",
        row["peer"].AsString ?? "-",
        row["action"].AsString ?? string.Empty,
        NullableString(row["target"]),
        row["outcome"].AsString ?? string.Empty)
    {
        Auth = NullableString(row["auth"]) ?? "-",
    };

    private static string? NullableString(BsonValue value) => value.IsString ? value.AsString : null;

    private static int? NullableInt(BsonValue value) => value.IsNumber ? value.AsInt32 : null;

}
