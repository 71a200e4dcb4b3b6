using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Bakong.OpenApi.Storage;
using LiteDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Payments.Storage;

/// <summary>
/// The embedded payment store: one LiteDB 5 file in direct mode, one document per payment, guarded by an exclusive
/// lock file. See docs/reliability.md for what survives a crash and a power cut.
/// </summary>
/// <remarks>
/// <para>
/// Writes are serialised by one lock, so a save's version check and its write are one step, and LiteDB's unique
/// indexes (request id, md5) decide races between inserts. Reads run concurrently.
/// </para>
/// <para>
/// Durability: a LiteDB commit writes its pages to the <c>-log</c> file without fsync. So after every insert and
/// every save that carries an event (a transition or a review flag) this store fsyncs the log and runs
/// <c>Checkpoint()</c>, which copies the log into the data file, fsyncs the data file and only then truncates the
/// log. Check bookkeeping and outbox delivery marks are not synced: losing them in a power cut costs a repeated
/// check or a repeated webhook.
/// </para>
/// <para>The API is asynchronous for the interface's sake; LiteDB is synchronous, so the work runs on the caller's thread.</para>
/// </remarks>
public sealed class LiteDbPaymentStore : IPaymentStore, IDisposable
{
    private const string CollectionName = "payments";

    // Between 0 and now: BSON orders null below numbers, so unscheduled payments never match.
    private const string DueBetween = "$." + PaymentDocument.NextCheck + " BETWEEN @0 AND @1";
    private const string DueStates = "$." + PaymentDocument.State + " IN ['Pending', 'Expired', 'Cancelled']";

    private readonly StoreLock _lock;
    private readonly LiteDatabase _database;
    private readonly ILiteCollection<BsonDocument> _payments;
    private readonly Lock _writeGate = new();
    private readonly ILogger _logger;
    private readonly string _logPath;
    private bool _disposed;

    /// <summary>Opens (or creates) the database at <paramref name="path"/>; throws <see cref="StoreLockedException"/> if another store holds it.</summary>
    public LiteDbPaymentStore(string path, ILogger<LiteDbPaymentStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        FullPath = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(FullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _logPath = System.IO.Path.Combine(
            directory ?? "",
            System.IO.Path.GetFileNameWithoutExtension(FullPath) + "-log" + System.IO.Path.GetExtension(FullPath));
        _lock = StoreLock.Acquire(FullPath, "payment database");
        try
        {
            _database = new LiteDatabase(new ConnectionString
            {
                Filename = FullPath,
                Connection = ConnectionType.Direct,

                // Ordinal: request ids "A1" and "a1" are different keys, and the list key sorts by code unit.
                // A collation is fixed when the file is created.
                Collation = new Collation(CultureInfo.InvariantCulture.LCID, CompareOptions.Ordinal),
            });
            _payments = _database.GetCollection(CollectionName);
            _payments.EnsureIndex(PaymentDocument.RequestId, unique: true);
            _payments.EnsureIndex(PaymentDocument.Md5, unique: true);
            _payments.EnsureIndex(PaymentDocument.NextCheck);
            _payments.EnsureIndex(PaymentDocument.CreatedKey, unique: true);
            _payments.EnsureIndex(PaymentDocument.OutboxDue);
            _payments.EnsureIndex(PaymentDocument.TerminalId);
            _database.Checkpoint();
        }
        catch
        {
            _database?.Dispose();
            _lock.Dispose();
            throw;
        }

        var count = _payments.Count();
        PaymentLog.StoreOpened(_logger, FullPath, count);
    }

    /// <summary>The database file.</summary>
    public string FullPath { get; }

    public Task<InsertResult> InsertIfAbsentAsync(Payment payment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        cancellationToken.ThrowIfCancellationRequested();
        if (payment.PersistedVersion != 0)
        {
            throw new ArgumentException("Only a new payment can be inserted.", nameof(payment));
        }

        lock (_writeGate)
        {
            ThrowIfDisposed();
            try
            {
                _payments.Insert(PaymentDocument.From(payment.ToSnapshot()));
            }
            catch (LiteException e) when (e.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
            {
                // The unique index on request_id decides: whoever inserted first owns the request.
                var existing = FindOne(PaymentDocument.RequestId, payment.RequestId);
                if (existing is null)
                {
                    throw; // A duplicate id or md5 without the request id: not an idempotent replay.
                }

                return Task.FromResult(new InsertResult(existing, Inserted: false));
            }

            MakeDurable();
            payment.AcceptChanges();
            return Task.FromResult(new InsertResult(payment, Inserted: true));
        }
    }

    public Task<Payment?> GetAsync(string paymentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paymentId);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        var doc = _payments.FindById(paymentId);
        return Task.FromResult(doc is null ? null : Read(doc));
    }

    public Task<Payment?> GetByRequestIdAsync(string requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return Task.FromResult(FindOne(PaymentDocument.RequestId, requestId));
    }

    public Task<Payment?> GetByMd5Async(string md5, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(md5);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return Task.FromResult(FindOne(PaymentDocument.Md5, md5));
    }

    public Task<SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_writeGate)
        {
            ThrowIfDisposed();
            var stored = _payments.FindById(payment.Id);
            if (stored is null)
            {
                return Task.FromResult(SaveResult.NotFound);
            }

            var storedVersion = stored[PaymentDocument.Version].AsInt64;
            if (storedVersion != payment.PersistedVersion)
            {
                PaymentLog.SaveConflict(_logger, payment.Id, payment.PersistedVersion, storedVersion);
                return Task.FromResult(SaveResult.Conflict);
            }

            if (!payment.HasUnsavedChanges)
            {
                return Task.FromResult(SaveResult.Saved);
            }

            var durable = payment.UnsavedEvents.Any();
            var doc = PaymentDocument.From(payment.ToSnapshot());

            // Delivery progress belongs to the store (the dispatcher writes it without a version bump): keep it.
            var storedOutbox = PaymentDocument.ReadOutbox(stored).ToDictionary(o => o.EventId, StringComparer.Ordinal);
            var merged = new List<OutboxEntry>(payment.Outbox.Count);
            foreach (var entry in payment.Outbox)
            {
                merged.Add(storedOutbox.TryGetValue(entry.EventId, out var s) && (s.IsDelivered || s.Attempts > entry.Attempts) ? s : entry);
            }

            PaymentDocument.SetOutbox(doc, merged);
            _payments.Update(doc);
            if (durable)
            {
                MakeDurable();
            }

            payment.AcceptChanges();
            return Task.FromResult(SaveResult.Saved);
        }
    }

    public Task<IReadOnlyList<Payment>> GetDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();

        var docs = _payments.Query()
            .Where(BsonExpression.Create(DueBetween, 0L, now.UtcTicks))
            .Where(DueStates)
            .OrderBy(PaymentDocument.NextCheck)
            .Limit(limit)
            .ToList();
        return Task.FromResult<IReadOnlyList<Payment>>(docs.ConvertAll(Read));
    }

    public Task<IReadOnlyDictionary<PaymentState, long>> CountByStateAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var counts = Enum.GetValues<PaymentState>().ToDictionary(s => s, _ => 0L);

        // No index on the state (nothing else needs one): one pass over the collection, grouped. Under the write
        // gate, so no save lands halfway through the count.
        lock (_writeGate)
        {
            ThrowIfDisposed();
            var groups = _payments.Query()
                .GroupBy(BsonExpression.Create("$." + PaymentDocument.State))
                .Select(BsonExpression.Create("{ state: @key, count: COUNT(*) }"))
                .ToList();
            foreach (var group in groups)
            {
                counts[Enum.Parse<PaymentState>(group["state"].AsString)] = group["count"].AsInt64;
            }
        }

        return Task.FromResult<IReadOnlyDictionary<PaymentState, long>>(counts);
    }

    public Task<PaymentPage> ListAsync(PaymentQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, PaymentLimits.MaxPageSize);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();

        var q = _payments.Query();
        if (query.State is { } state)
        {
            q = q.Where(BsonExpression.Create("$." + PaymentDocument.State + " = @0", state.ToString()));
        }

        if (query.TerminalId is { } terminal)
        {
            q = q.Where(BsonExpression.Create("$." + PaymentDocument.TerminalId + " = @0", terminal));
        }

        if (query.CreatedFrom is { } from)
        {
            q = q.Where(BsonExpression.Create("$." + PaymentDocument.CreateTime + " >= @0", from.UtcTicks));
        }

        if (query.CreatedTo is { } to)
        {
            q = q.Where(BsonExpression.Create("$." + PaymentDocument.CreateTime + " < @0", to.UtcTicks));
        }

        if (query.PageToken is { } token)
        {
            q = q.Where(BsonExpression.Create("$." + PaymentDocument.CreatedKey + " < @0", DecodePageToken(token)));
        }

        var docs = q.OrderByDescending(PaymentDocument.CreatedKey).Limit(query.PageSize + 1).ToList();
        string? next = null;
        if (docs.Count > query.PageSize)
        {
            docs.RemoveAt(docs.Count - 1);
            next = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(docs[^1][PaymentDocument.CreatedKey].AsString));
        }

        return Task.FromResult(new PaymentPage(docs.ConvertAll(Read), next));
    }

    public Task<IReadOnlyList<PendingOutboxEntry>> GetPendingOutboxAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();

        var docs = _payments.Query()
            .Where(BsonExpression.Create("$." + PaymentDocument.OutboxDue + " BETWEEN @0 AND @1", 0L, now.UtcTicks))
            .OrderBy(PaymentDocument.OutboxDue)
            .Limit(limit)
            .ToList();
        var result = new List<PendingOutboxEntry>();
        foreach (var doc in docs)
        {
            var payment = Read(doc);
            foreach (var entry in payment.Outbox)
            {
                if (entry.DueTime is { } due && due <= now && result.Count < limit)
                {
                    result.Add(new PendingOutboxEntry(payment, entry));
                }
            }
        }

        result.Sort(static (a, b) => a.Entry.DueTime!.Value.CompareTo(b.Entry.DueTime!.Value));
        return Task.FromResult<IReadOnlyList<PendingOutboxEntry>>(result);
    }

    public Task<bool> MarkOutboxDeliveredAsync(string paymentId, string eventId, DateTimeOffset deliveredTime, CancellationToken cancellationToken) =>
        UpdateOutboxEntry(paymentId, eventId, e => e.IsDelivered ? e : e with { DeliveredTime = deliveredTime, Attempts = e.Attempts + 1 }, cancellationToken);

    public Task<bool> RecordOutboxFailureAsync(
        string paymentId, string eventId, DateTimeOffset nextAttemptTime, string? failure, CancellationToken cancellationToken) =>
        UpdateOutboxEntry(paymentId, eventId, e => e.IsDelivered
            ? e
            : e with { Attempts = e.Attempts + 1, NextAttemptTime = nextAttemptTime, LastError = failure }, cancellationToken);

    /// <summary>Closes the database (LiteDB checkpoints on a clean close) and releases the lock file.</summary>
    public void Dispose()
    {
        lock (_writeGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _database.Dispose();
            _lock.Dispose();
        }
    }

    private Task<bool> UpdateOutboxEntry(string paymentId, string eventId, Func<OutboxEntry, OutboxEntry> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paymentId);
        ArgumentNullException.ThrowIfNull(eventId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_writeGate)
        {
            ThrowIfDisposed();
            var doc = _payments.FindById(paymentId);
            if (doc is null)
            {
                return Task.FromResult(false);
            }

            var outbox = PaymentDocument.ReadOutbox(doc);
            var index = outbox.FindIndex(o => o.EventId == eventId);
            if (index < 0)
            {
                return Task.FromResult(false);
            }

            outbox[index] = change(outbox[index]);
            PaymentDocument.SetOutbox(doc, outbox);
            _payments.Update(doc);
            return Task.FromResult(true);
        }
    }

    // LiteDB 5.0.21 commits by writing pages to <name>-log<ext> with no fsync, and its checkpoint overwrites data
    // pages in place, fsyncs the data file, then truncates the log — without ever fsyncing the log. So: fsync the log
    // first (the commit is now on disk, and a power cut during the checkpoint can be replayed from it), then
    // checkpoint (the data file is fsynced and the log stays small). On Linux fsync through any descriptor flushes
    // the file's dirty pages, so a descriptor of our own serves.
    private void MakeDurable()
    {
        try
        {
            using var log = new FileStream(_logPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            log.Flush(flushToDisk: true);
        }
        catch (FileNotFoundException)
        {
            // No log: nothing uncommitted to the data file.
        }

        _database.Checkpoint();
    }

    private Payment? FindOne(string field, string value)
    {
        // A parameter, never the value in the text: LiteDB compiles (and caches forever) one delegate per distinct
        // expression text, so a value in the text costs a compile per new request id and grows that cache without end.
        var doc = _payments.FindOne(BsonExpression.Create("$." + field + " = @0", value));
        return doc is null ? null : Read(doc);
    }

    private static Payment Read(BsonDocument doc) => Payment.FromSnapshot(PaymentDocument.ToSnapshot(doc));

    private static string DecodePageToken(string token)
    {
        try
        {
            var key = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            if (key.Length > 20 && key[19] == ':' && long.TryParse(key.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return key;
            }
        }
        catch (FormatException)
        {
        }

        throw new ArgumentException("Not a page token this store issued.", nameof(token));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
