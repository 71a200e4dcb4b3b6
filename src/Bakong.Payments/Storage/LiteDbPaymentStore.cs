using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Bakong.OpenApi.Storage;
using LiteDB;
using LiteDB.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Payments.Storage;

/// <summary>
/// The embedded payment store: one LiteDB 5 file, one document per payment, guarded by an exclusive lock file. See
/// docs/reliability.md for what survives a crash and a power cut.
/// </summary>
/// <remarks>
/// <para>
/// <b>One writer, group commit.</b> Every write (insert, save, outbox mark) is queued to one writer loop. The writer
/// takes whatever is queued, applies it all in one LiteDB transaction, commits once and fsyncs the log once, and only
/// then answers each caller. Concurrent creates and transitions so share one commit and one flush; a lone write is a
/// batch of one. Inside a batch each write still sees the ones before it: a second insert with the same request id
/// finds the first, and a save's version check reads what the batch already wrote. Nothing in a batch may throw on
/// an expected outcome (a duplicate, a conflict), because LiteDB rolls the whole transaction back on any exception;
/// an unexpected failure makes the writer retry that batch's writes one by one, so it fails alone. Creates and
/// transitions go ahead of bookkeeping (poll checks, delivery marks): a batch takes only a few of those beside them.
/// </para>
/// <para>
/// <b>Durability.</b> A LiteDB commit writes its pages to the <c>-log</c> file without fsync; the store fsyncs the log
/// before it answers any batch that holds an insert or an event (a transition or a review flag). Check bookkeeping and
/// outbox delivery marks are not waited for: losing them in a power cut costs a repeated check or webhook. LiteDB's
/// own automatic checkpoint is off (it would copy unsynced log pages over the data file); the store checkpoints
/// itself, always after an fsync of the log, when the log passes <see cref="CheckpointLogBytes"/> or
/// <see cref="CheckpointInterval"/> after the last one, and on close.
/// </para>
/// <para>
/// <b>I/O faults.</b> LiteDB latches the first I/O error (a full disk) and rethrows it on every later call. The store
/// then closes the engine and opens it again on the same files (LiteDB replays the log: every acknowledged write was
/// fsynced there), at once and again before a later write, at most once per <see cref="ReopenInterval"/>, so reads
/// work again at once and writes as soon as the disk takes them. Meanwhile writes fail with the
/// <see cref="IOException"/> and <see cref="WriteFault"/> says why.
/// </para>
/// <para>Reads run concurrently on the caller's thread, each in its own LiteDB snapshot.</para>
/// <para>
/// <b>Backups.</b> <see cref="CopyTo"/> checkpoints and then copies the data file while writes go on: LiteDB writes
/// commits to the log and touches the data file only in a checkpoint, so the store takes none until the copy is done.
/// </para>
/// </remarks>
public sealed partial class LiteDbPaymentStore : IPaymentStore, IStoreSnapshot, IDisposable
{
    /// <summary>Checkpoint when the log is this big (LiteDB's own default is 1000 pages, 8 MiB).</summary>
    internal const long CheckpointLogBytes = 4 * 1024 * 1024;

    private const string CollectionName = "payments";
    private const string CountsCollectionName = "payment_counts";
    private const string CountsId = "states";

    private const string DueStates = "$." + PaymentDocument.State + " IN ['Pending', 'Expired', 'Cancelled']";
    // The outbox's sparse index: only payments with an undelivered entry have a key (PaymentDocument.OutboxDueKeys).
    private const string OutboxIndex = "outbox_due_keys";
    private const string OutboxKey = "$." + PaymentDocument.OutboxDueKeys + "[*]";
    private const string OutboxBetween = OutboxKey + " ANY BETWEEN @0 AND @1";

    /// <summary>A batch holds at most this many writes (a bound on one transaction's size, not a wait).</summary>
    private const int MaxBatch = 256;

    /// <summary>
    /// Bookkeeping writes (<see cref="WriteOp.IsBookkeeping"/>) a batch takes beside waiting creates and transitions:
    /// a few milliseconds of LiteDB work at most, so a create never waits behind a poller pass's saves.
    /// </summary>
    internal const int BookkeepingBesideUrgent = 16;

    /// <summary>
    /// Indexes of older databases that no query reads: the outbox's due time (a field of its own, <c>outbox_due</c>,
    /// no longer written) before its sparse index.
    /// </summary>
    private static readonly string[] s_retiredIndexes = ["outbox_due"];

    /// <summary>
    /// The indexes on keys the documents store (<see cref="PaymentDocument"/> computes them): what <see cref="Prepare"/>
    /// makes, and what <see cref="MoveIndexesToStoredKeys"/> checks an older database against.
    /// </summary>
    private static readonly (string Name, string Key, bool Unique)[] s_storedKeyIndexes =
    [
        (ListRange.TerminalIndex, ListRange.TerminalKey, true),
        (ListRange.StateIndex, ListRange.StateKey, true),
        (ListRange.TerminalStateIndex, ListRange.TerminalStateKey, true),
        (DueRange.Index, DueRange.Key, false),
        (ExceptionRange.Index, ExceptionRange.Key, false),
        (TransactionHashIndex, TransactionHashKey, false),
        (OutboxIndex, OutboxKey, false),
    ];

    private readonly StoreLock _lock;
    private readonly Func<string, Stream> _openFile;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly string _logPath;
    // Synchronous continuations: a write only wakes the writer's thread blocked in WriteLoop (no work item in between).
    private readonly Channel<WriteOp> _writes =
        Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly Task _writer;

    // Held by a batch and by a reopen, never by a read: a reopen never swaps the engine under a batch.
    private readonly Lock _engineGate = new();
    private readonly long[] _counts = new long[CountChanges.StateSlots];

    // Pending payments per terminal, for the pending cap (CountPendingAsync). Kept in memory only: counted from the
    // state index when the engine is opened (pending payments expire within minutes, so the range is short) and
    // changed after each commit with the same changes as _counts, under the same lock. One process holds the file.
    private readonly Dictionary<string, int> _pendingByTerminal = new(StringComparer.Ordinal);

    // Where the due scan of the next poller pass starts (GetDueAsync; only the poller calls it, one pass at a time).
    private string? _dueScanFrom;
    private volatile Engine _engine;
    private volatile string? _writeFault;
    private long _lastCheckpoint;

    // Under _engineGate: copies of the data file under way (no checkpoint meanwhile), and a count of what else may write
    // the data file (closing the engine, opening it again), which a copy that saw it change takes again.
    private int _copies;
    private long _dataFileChanges;
    private long _lastReopenAttempt;
    private bool _disposed;

    /// <summary>Opens (or creates) the database at <paramref name="path"/>; throws <see cref="StoreLockedException"/> if another store holds it.</summary>
    public LiteDbPaymentStore(string path, ILogger<LiteDbPaymentStore>? logger = null)
        : this(path, logger, TimeProvider.System, openFile: null)
    {
    }

    /// <param name="path">The database file.</param>
    /// <param name="logger">The store's log.</param>
    /// <param name="timeProvider">The clock of the checkpoint and reopen policies.</param>
    /// <param name="openFile">
    /// Opens the data or log file for LiteDB (tests inject faults here); its <see cref="Stream.Flush()"/> must reach the
    /// disk (fsync). Null: <see cref="SyncedFileStream"/>.
    /// </param>
    internal LiteDbPaymentStore(string path, ILogger? logger, TimeProvider timeProvider, Func<string, Stream>? openFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider;
        _openFile = openFile ?? SyncedFileStream.Open;
        FullPath = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(FullPath);
        PrivateFiles.CreateDirectoryFor(FullPath);

        _logPath = System.IO.Path.Combine(
            directory ?? "",
            System.IO.Path.GetFileNameWithoutExtension(FullPath) + "-log" + System.IO.Path.GetExtension(FullPath));
        _lock = StoreLock.Acquire(FullPath, "payment database");
        try
        {
            _engine = Engine.Open(FullPath, _logPath, _openFile);
            PrivateFiles.Restrict(FullPath, _logPath, FullPath + ".lock");
            Prepare(_engine);
        }
        catch
        {
            _engine?.Dispose();
            _lock.Dispose();
            throw;
        }

        _lastCheckpoint = _timeProvider.GetTimestamp();
        _writer = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var total = Total(_counts);
        PaymentLog.StoreOpened(_logger, FullPath, total);
    }

    /// <summary>Checkpoint when this long has passed since the last one and the log is not empty.</summary>
    internal static TimeSpan CheckpointInterval { get; } = TimeSpan.FromSeconds(2);

    /// <summary>After an I/O fault, the engine is opened again at most this often.</summary>
    internal static TimeSpan ReopenInterval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>The database file.</summary>
    public string FullPath { get; }

    /// <summary>Why the last write failed, while writes fail (a full disk); null when the last write went through.</summary>
    public string? WriteFault => _writeFault;

    /// <summary>Called on the writer with the size of each batch it committed (tests watch the grouping).</summary>
    internal Action<int>? BatchCommitted { get; set; }

    /// <summary>Called on the writer before each batch (tests hold the writer here to let writes queue up).</summary>
    internal Action? BatchStarting { get; set; }

    /// <summary>Called by <see cref="CopyTo"/> after its checkpoint, before it copies (tests write meanwhile).</summary>
    internal Action? CopyStarting { get; set; }

    public string StoreName => BackupCatalog.Payments;

    /// <summary>
    /// Writes the database as of now to <paramref name="destinationFile"/>: a checkpoint (after an fsync of the log), then
    /// a copy of the data file while writes go on into the log. Every write answered before the call is in the copy,
    /// none is half in it.
    /// </summary>
    /// <exception cref="IOException">The store cannot write (a full disk), or it was closed during the copy.</exception>
    public void CopyTo(string destinationFile)
    {
        long changes;
        lock (_engineGate)
        {
            ThrowIfDisposed();
            if (!TryReopenLocked(_engine, force: false))
            {
                throw new IOException(_writeFault ?? "The payment store is closed after an I/O error.");
            }

            _engine.FlushLog();
            _engine.Database.Checkpoint();
            _lastCheckpoint = _timeProvider.GetTimestamp();
            _copies++;
            changes = _dataFileChanges;
        }

        bool changed;
        try
        {
            CopyStarting?.Invoke();
            StoreSnapshot.CopyFile(FullPath, destinationFile);
        }
        finally
        {
            lock (_engineGate)
            {
                _copies--;
                changed = _dataFileChanges != changes;
            }
        }

        if (changed)
        {
            File.Delete(destinationFile);
            throw new IOException("The payment store was closed or reopened during the copy: take it again.");
        }
    }

    /// <remarks>
    /// The cap is exact: the writer checks it against the kept count and the batch's own changes, one write after the
    /// other. Only a refusal reads the store, for the earliest expiry it reports.
    /// </remarks>
    public async Task<InsertResult> InsertIfAbsentAsync(Payment payment, int? maxPendingForTerminal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        cancellationToken.ThrowIfCancellationRequested();
        if (payment.PersistedVersion != 0)
        {
            throw new ArgumentException("Only a new payment can be inserted.", nameof(payment));
        }

        if (maxPendingForTerminal is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max, nameof(maxPendingForTerminal));
        }

        var result = await Enqueue(new InsertOp(payment, maxPendingForTerminal, this)).Task.ConfigureAwait(false);
        return result.Refused is null
            ? result
            : InsertResult.RefusedAt(payment, await CountPendingAsync(payment.TerminalId, maxPendingForTerminal!.Value, CancellationToken.None).ConfigureAwait(false));
    }

    public Task<Payment?> GetAsync(string paymentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paymentId);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(e => e.Payments.FindById(paymentId) is { } doc ? ReadPayment(doc) : null));
    }

    public Task<Payment?> GetByRequestIdAsync(string requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(e => FindOne(e.Payments, PaymentDocument.RequestId, requestId)));
    }

    public Task<Payment?> GetByMd5Async(string md5, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(md5);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(e => FindOne(e.Payments, PaymentDocument.Md5, md5)));
    }

    public Task<SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        cancellationToken.ThrowIfCancellationRequested();
        return Enqueue(new SaveOp(payment, _logger)).Task;
    }

    /// <remarks>
    /// <para>
    /// Fair between terminals: one terminal's flood of due payments must not push another terminal's payment out of
    /// the pass. The due payments of each terminal are one range of the <see cref="DueRange"/> index (terminal, then
    /// next check time), so each terminal that has any gets an equal share of <paramref name="limit"/>, earliest due
    /// first, and what the others leave goes to those with more. The result is interleaved terminal by terminal, so a
    /// list call of the first 50 asks about every terminal's earliest payment.
    /// </para>
    /// <para>
    /// The terminals with due payments are found by skipping through the same index: one single-entry read per
    /// terminal with a scheduled payment (pending or awaiting reconciliation), at most <paramref name="limit"/> of them
    /// per pass, the next pass going on where this one stopped, so none is left out however many there are.
    /// </para>
    /// </remarks>
    public Task<IReadOnlyList<Payment>> GetDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<Payment>>(Read(e => ReadDue(e, now, limit)));
    }

    private List<Payment> ReadDue(Engine engine, DateTimeOffset now, int limit)
    {
        var terminals = DueTerminals(engine, now, limit);
        if (terminals.Count == 0)
        {
            return [];
        }

        // A share each; then, when some terminals had fewer due, what is left to those that filled theirs.
        var share = (limit + terminals.Count - 1) / terminals.Count;
        var picked = new List<List<BsonDocument>>(terminals.Count);
        var total = 0;
        foreach (var terminal in terminals)
        {
            var docs = DueOf(engine, terminal, now, share);
            picked.Add(docs);
            total += docs.Count;
        }

        for (var i = 0; i < picked.Count && total < limit; i++)
        {
            if (picked[i].Count == share)
            {
                var more = DueOf(engine, terminals[i], now, share + limit - total);
                total += more.Count - picked[i].Count;
                picked[i] = more;
            }
        }

        // Round robin: each terminal's earliest, then each one's second, ...
        var due = new List<Payment>(Math.Min(limit, total));
        for (var rank = 0; due.Count < limit; rank++)
        {
            var any = false;
            foreach (var docs in picked)
            {
                if (rank < docs.Count && due.Count < limit)
                {
                    due.Add(ReadPayment(docs[rank]));
                    any = true;
                }
            }

            if (!any)
            {
                break;
            }
        }

        return due;
    }

    /// <summary>The terminal prefixes (<see cref="DueRange"/>) that have a payment due at <paramref name="now"/>.</summary>
    private List<string> DueTerminals(Engine engine, DateTimeOffset now, int maxVisits)
    {
        var due = new List<string>();
        var start = _dueScanFrom;
        var after = start ?? "";
        var wrapped = start is null;
        var visits = 0;
        while (visits < maxVisits)
        {
            var first = engine.Payments.Query()
                .Where(BsonExpression.Create(DueRange.Key + " > @0", after))
                .OrderBy(DueRange.Key)
                .Limit(1)
                .FirstOrDefault();
            if (first is null || (wrapped && start is not null && string.CompareOrdinal(DueRange.KeyOf(first), start) >= 0))
            {
                if (wrapped)
                {
                    break;
                }

                // From the start of the index up to where this pass began.
                wrapped = true;
                after = "";
                continue;
            }

            visits++;
            var prefix = DueRange.PrefixOf(first[PaymentDocument.TerminalId].AsString);
            if (first[PaymentDocument.NextCheck].AsInt64 <= now.UtcTicks)
            {
                due.Add(prefix);
            }

            after = DueRange.After(prefix);
        }

        // Every terminal seen: the next pass starts at the beginning. Else where this one stopped.
        _dueScanFrom = visits < maxVisits ? null : after;
        return due;
    }

    private static List<BsonDocument> DueOf(Engine engine, string prefix, DateTimeOffset now, int limit) => engine.Payments.Query()
        .Where(BsonExpression.Create(DueRange.Key + " BETWEEN @0 AND @1", DueRange.At(prefix, 0), DueRange.At(prefix, now.UtcTicks)))
        .Where(DueStates)
        .OrderBy(DueRange.Key)
        .Limit(limit)
        .ToList();

    /// <remarks>
    /// The count is the kept one (<see cref="_pendingByTerminal"/>): a dictionary read, whatever the terminal has.
    /// Only at the cap is the store read, for the earliest expiry: one range of the terminal-and-state list index, cut
    /// at <paramref name="atMost"/> documents.
    /// </remarks>
    public Task<PendingCount> CountPendingAsync(string terminalId, int atMost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terminalId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(atMost);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        int count;
        lock (_counts)
        {
            count = _pendingByTerminal.GetValueOrDefault(terminalId);
        }

        if (count < atMost)
        {
            return Task.FromResult(new PendingCount(count, EarliestExpiry: null));
        }

        var range = ListRange.For(new PaymentQuery { TerminalId = terminalId, State = PaymentState.Pending }, after: null);
        var expiries = Read(e => e.Payments.Query()
            .Where(BsonExpression.Create(range.Key + " BETWEEN @0 AND @1", range.Low, range.High))
            .OrderBy(range.Key)
            .Select(BsonExpression.Create("{ " + PaymentDocument.ExpireTime + ": $." + PaymentDocument.ExpireTime + " }"))
            .Limit(atMost)
            .ToList());
        DateTimeOffset? earliest = null;
        foreach (var doc in expiries)
        {
            var time = new DateTimeOffset(doc[PaymentDocument.ExpireTime].AsInt64, TimeSpan.Zero);
            earliest = earliest is { } e && e <= time ? e : time;
        }

        return Task.FromResult(new PendingCount(Math.Min(count, atMost), earliest));
    }

    /// <remarks>
    /// The counts are kept in the store, changed in the same transaction as the payments they count, so this is a
    /// read of one small document whatever the size of the store (a database from before they were kept is counted
    /// once, when it is opened).
    /// </remarks>
    public Task<IReadOnlyDictionary<PaymentState, long>> CountByStateAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        var counts = new Dictionary<PaymentState, long>();
        lock (_counts)
        {
            foreach (var state in Enum.GetValues<PaymentState>())
            {
                counts[state] = _counts[(int)state];
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
        var after = query.PageToken is { } token ? DecodePageToken(token) : null;
        var range = ListRange.For(query, after);

        // One index range, read backwards, is the filter and the order: the first page reads PageSize + 2 entries
        // whatever the filter and however many payments there are. The range's end is inclusive; the previous page's
        // last payment is at it and is skipped.
        var docs = Read(e => e.Payments.Query()
            .Where(BsonExpression.Create(range.Key + " BETWEEN @0 AND @1", range.Low, range.High))
            .OrderByDescending(range.Key)
            .Limit(query.PageSize + 2)
            .ToList());
        if (after is not null)
        {
            docs.RemoveAll(d => d[PaymentDocument.CreatedKey].AsString == after);
        }

        string? next = null;
        if (docs.Count > query.PageSize)
        {
            docs.RemoveRange(query.PageSize, docs.Count - query.PageSize);
            next = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(docs[^1][PaymentDocument.CreatedKey].AsString));
        }

        return Task.FromResult(new PaymentPage(docs.ConvertAll(ReadPayment), next));
    }

    /// <remarks>
    /// One range of the exception index (<see cref="ExceptionRange"/>): only payments that need a person have a key in
    /// it, so a page reads PageSize + 2 entries, whatever the store holds.
    /// </remarks>
    public Task<PaymentPage> ListExceptionsAsync(ExceptionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, PaymentLimits.MaxPageSize);
        cancellationToken.ThrowIfCancellationRequested();
        var after = query.PageToken is { } token ? DecodePageToken(token) : null;

        // The range's start is inclusive: the previous page's last payment is at it and is skipped.
        var docs = Read(e => ExceptionPage(e, after ?? "", query.PageSize + 2).ToList());
        if (after is not null)
        {
            docs.RemoveAll(d => d[PaymentDocument.CreatedKey].AsString == after);
        }

        string? next = null;
        if (docs.Count > query.PageSize)
        {
            docs.RemoveRange(query.PageSize, docs.Count - query.PageSize);
            next = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(docs[^1][PaymentDocument.CreatedKey].AsString));
        }

        return Task.FromResult(new PaymentPage(docs.ConvertAll(ReadPayment), next));
    }

    /// <summary>The query plan of an exception page (tests check that the exception index serves it).</summary>
    internal BsonDocument ExplainExceptions(int pageSize) => Read(e => ExceptionPage(e, "", pageSize).GetPlan());

    /// <summary>The entries of each index of the payments, read as one range of the whole index (tests check which payments an index holds).</summary>
    internal Dictionary<string, int> CountIndexEntries() => Read(e => e.Database.GetCollection("$indexes").Query()
        .Where(BsonExpression.Create("collection = @0", CollectionName))
        .ToList()
        .ToDictionary(
            i => i["name"].AsString,
            i => e.Payments.Query()
                .Where(BsonExpression.Create(
                    i["expression"].AsString + (i["expression"].AsString.EndsWith("[*]", StringComparison.Ordinal) ? " ANY" : "") + " BETWEEN @0 AND @1",
                    BsonValue.MinValue,
                    BsonValue.MaxValue))
                .Count()));

    /// <remarks>
    /// BETWEEN, not "&gt;": LiteDB reads a "&gt;" by visiting every entry of the index, a BETWEEN as one range, in the
    /// index's order. Created keys start with a digit, so every one sorts below ':'.
    /// </remarks>
    private static ILiteQueryableResult<BsonDocument> ExceptionPage(Engine engine, string from, int limit) => engine.Payments.Query()
        .Where(BsonExpression.Create(ExceptionRange.Key + " ANY BETWEEN @0 AND @1", from, ":"))
        .Limit(limit);

    public Task<IReadOnlyList<PendingOutboxEntry>> GetPendingOutboxAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        cancellationToken.ThrowIfCancellationRequested();
        // In the index's order (earliest due first): one range, read no further than the limit.
        var docs = Read(e => e.Payments.Query()
            .Where(BsonExpression.Create(OutboxBetween, 0L, now.UtcTicks))
            .Limit(limit)
            .ToList());
        var result = new List<PendingOutboxEntry>();
        foreach (var doc in docs)
        {
            var payment = ReadPayment(doc);
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

    /// <remarks>One process, no claims: the payment first on the outbox due index holds the earliest due entry.</remarks>
    public async Task<DateTimeOffset?> GetNextOutboxDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var first = await GetPendingOutboxAsync(DateTimeOffset.MaxValue, 1, cancellationToken).ConfigureAwait(false);
        if (first.Count == 0)
        {
            return null;
        }

        DateTimeOffset? earliest = null;
        foreach (var entry in first[0].Payment.Outbox)
        {
            if (entry.DueTime is { } due && (earliest is null || due < earliest))
            {
                earliest = due;
            }
        }

        return earliest;
    }

    public Task<bool> MarkOutboxDeliveredAsync(string paymentId, string eventId, DateTimeOffset deliveredTime, CancellationToken cancellationToken) =>
        UpdateOutboxEntry(paymentId, eventId, e => e.IsDelivered ? e : e with { DeliveredTime = deliveredTime, Attempts = e.Attempts + 1 }, cancellationToken);

    public Task<bool> RecordOutboxFailureAsync(
        string paymentId, string eventId, DateTimeOffset nextAttemptTime, string? failure, CancellationToken cancellationToken) =>
        UpdateOutboxEntry(paymentId, eventId, e => e.IsDelivered
            ? e
            : e with { Attempts = e.Attempts + 1, NextAttemptTime = nextAttemptTime, LastError = failure }, cancellationToken);

    /// <summary>
    /// Lets the writer finish what is queued, fsyncs the log, checkpoints, closes the database and releases the lock.
    /// </summary>
    public void Dispose()
    {
        lock (_engineGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _writes.Writer.TryComplete();
        _writer.GetAwaiter().GetResult();
        lock (_engineGate)
        {
            _dataFileChanges++;
            try
            {
                if (!_engine.Faulted)
                {
                    _engine.FlushLog();
                    _engine.Database.Checkpoint();
                }
            }
            catch (IOException e)
            {
                // The log keeps every acknowledged write; the next open replays it.
                PaymentLog.StoreWriteFailed(_logger, e.Message);
            }
            finally
            {
                _engine.Dispose();
                _lock.Dispose();
            }
        }
    }

    /// <summary>The query plan LiteDB makes for a list query (tests check that one index serves filter and order).</summary>
    internal BsonDocument ExplainList(PaymentQuery query)
    {
        var range = ListRange.For(query, after: null);
        return Read(e => e.Payments.Query()
            .Where(BsonExpression.Create(range.Key + " BETWEEN @0 AND @1", range.Low, range.High))
            .OrderByDescending(range.Key)
            .Limit(query.PageSize + 2)
            .GetPlan());
    }

    private Task<bool> UpdateOutboxEntry(string paymentId, string eventId, Func<OutboxEntry, OutboxEntry> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paymentId);
        ArgumentNullException.ThrowIfNull(eventId);
        cancellationToken.ThrowIfCancellationRequested();
        return Enqueue(new OutboxOp(paymentId, eventId, change)).Task;
    }

    private TOp Enqueue<TOp>(TOp op)
        where TOp : WriteOp
    {
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(op), this);
        return op;
    }

    private T Read<T>(Func<Engine, T> read)
    {
        for (var attempt = 1; ; attempt++)
        {
            ThrowIfDisposed();
            var engine = _engine;
            try
            {
                return read(engine);
            }
#pragma warning disable CA1031 // Not swallowed: the read is done again on the engine that replaced this one.
            catch (Exception) when (attempt == 1 && !ReferenceEquals(engine, _engine))
#pragma warning restore CA1031
            {
                // The engine was closed and opened again under this read (after an I/O fault): read from the new one.
            }
            catch (Exception e) when (StorageFault(e) is { } fault)
            {
                // The engine latched an I/O error: open it again so the next read is served.
                engine.Faulted = true;
                TryReopen(engine, fault);
                throw fault;
            }
            catch (Exception e) when (engine.Faulted && !_disposed)
            {
                // Closed after an I/O fault and not open again yet: the fault is the answer (UNAVAILABLE), not a bug.
                var fault = new IOException(_writeFault ?? "The payment store is closed after an I/O error.", e);
                TryReopen(engine, fault);
                throw fault;
            }
        }
    }

    /// <remarks>
    /// Creates and transitions go first: a batch takes every one of them that is queued (up to <see cref="MaxBatch"/>)
    /// and at most <see cref="BookkeepingBesideUrgent"/> bookkeeping writes beside them, in the order they came; with
    /// none of them waiting it fills up with bookkeeping. Under load the poller saves a check of every pending payment
    /// every few seconds, several times as many writes as the creates (docs/benchmarks.md): queued in one line with
    /// them, a create waited for hundreds of those saves. Bookkeeping still moves on with every batch, so it is never
    /// starved, and a save that a transition of the same payment overtook fails its version check and is read again.
    /// <para>
    /// The loop has a thread of its own, blocked while nothing is queued. On the thread pool, each wake-up of the loop
    /// queued behind the requests and continuations of a busy gateway, and creates waited for it: at 1,000 creates a
    /// second its own thread took about 1 ms off a create's p50 and 2 ms off its p99 (docs/benchmarks.md).
    /// </para>
    /// </remarks>
    private void WriteLoop()
    {
        Thread.CurrentThread.Name = "Payment store writer";
        var batch = new List<WriteOp>(MaxBatch);
        var urgent = new Queue<WriteOp>();
        var bookkeeping = new Queue<WriteOp>();
        while (urgent.Count > 0 || bookkeeping.Count > 0 || _writes.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (_writes.Reader.TryRead(out var queued))
            {
                (queued.IsBookkeeping ? bookkeeping : urgent).Enqueue(queued);
            }

            while (batch.Count < MaxBatch && urgent.TryDequeue(out var op))
            {
                batch.Add(op);
            }

            var room = batch.Count == 0 ? MaxBatch : Math.Min(BookkeepingBesideUrgent, MaxBatch - batch.Count);
            for (var i = 0; i < room && bookkeeping.TryDequeue(out var op); i++)
            {
                batch.Add(op);
            }

            lock (_engineGate)
            {
                try
                {
                    BatchStarting?.Invoke();
                    Write(batch);
                }
#pragma warning disable CA1031 // The writer outlives anything: a failure fails the batch's callers, never the loop.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    batch.ForEach(op => op.Fail(e));
                }
            }

            batch.Clear();
        }
    }

    /// <summary>Commits the batch, or when something in it fails unexpectedly, each of its writes alone.</summary>
    private void Write(List<WriteOp> batch)
    {
        if (!TryReopenLocked(_engine, force: false))
        {
            // Opened again less than ReopenInterval ago, and that failed: fail fast until the next attempt.
            var fault = new IOException(_writeFault ?? "The payment store is closed after an I/O error.");
            batch.ForEach(op => op.Fail(fault));
            return;
        }

        var engine = _engine;
        try
        {
            Commit(engine, batch);
        }
        catch (Exception e) when (StorageFault(e) is { } fault)
        {
            // LiteDB has latched the error: answer the batch, then open the engine again at once, so reads go on while
            // the disk is full; the next batch tries to write again.
            PaymentLog.StoreWriteFailed(_logger, fault.Message);
            _writeFault = fault.Message;
            engine.Faulted = true;
            TryReopenLocked(engine, force: true);
            batch.ForEach(op => op.Fail(fault));
        }
#pragma warning disable CA1031 // A failing write must fail its caller, never the writer loop.
        catch (Exception) when (batch.Count > 1)
#pragma warning restore CA1031
        {
            foreach (var op in batch)
            {
                Write([op]);
            }
        }
#pragma warning disable CA1031
        catch (Exception e)
#pragma warning restore CA1031
        {
            batch[0].Fail(e);
        }
    }

    private void Commit(Engine engine, List<WriteOp> batch)
    {
        var delta = new CountChanges();
        var durable = false;
        engine.Database.BeginTrans();
        try
        {
            foreach (var op in batch)
            {
                durable |= op.Apply(engine, delta);
            }

            if (delta.ByState.Any(d => d != 0))
            {
                var counts = engine.Counts.FindById(CountsId);
                foreach (var state in Enum.GetValues<PaymentState>())
                {
                    counts[state.ToString()] = counts[state.ToString()].AsInt64 + delta.ByState[(int)state];
                }

                engine.Counts.Update(counts);
            }

            engine.Database.Commit();
        }
        catch
        {
            // LiteDB rolled back already when the exception came from one of its calls; this covers ours.
            TryRollback(engine);
            throw;
        }

        if (durable)
        {
            engine.FlushLog();
        }

        lock (_counts)
        {
            for (var i = 0; i < delta.ByState.Length; i++)
            {
                _counts[i] += delta.ByState[i];
            }

            foreach (var (terminalId, change) in delta.PendingByTerminal)
            {
                var count = _pendingByTerminal.GetValueOrDefault(terminalId) + change;
                if (count > 0)
                {
                    _pendingByTerminal[terminalId] = count;
                }
                else
                {
                    // Terminals with nothing pending leave: the dictionary holds only those that have some.
                    _pendingByTerminal.Remove(terminalId);
                }
            }
        }

        _writeFault = null;
        BatchCommitted?.Invoke(batch.Count);
        batch.ForEach(op => op.Complete());
        CheckpointIfDue(engine);
    }

    /// <summary>The terminal's pending payments with the batch's changes so far (the writer's view; only it calls this).</summary>
    private int PendingAfter(CountChanges batch, string terminalId)
    {
        lock (_counts)
        {
            return _pendingByTerminal.GetValueOrDefault(terminalId) + batch.PendingByTerminal.GetValueOrDefault(terminalId);
        }
    }

    private void CheckpointIfDue(Engine engine)
    {
        if (_copies > 0)
        {
            // A copy of the data file is under way: the log keeps growing until it is done.
            return;
        }

        var length = engine.LogLength;
        if (length >= CheckpointLogBytes || (length > 0 && _timeProvider.GetElapsedTime(_lastCheckpoint) >= CheckpointInterval))
        {
            // The log first: a power cut during the checkpoint's in-place writes is then repaired by replaying it.
            engine.FlushLog();
            engine.Database.Checkpoint();
            _lastCheckpoint = _timeProvider.GetTimestamp();
        }
    }

    private void TryReopen(Engine engine, IOException fault)
    {
        lock (_engineGate)
        {
            if (!_disposed)
            {
                _writeFault ??= fault.Message;
                TryReopenLocked(engine, force: false);
            }
        }
    }

    /// <summary>
    /// Opens the engine again if <paramref name="failed"/> is the current one and has faulted, at most once per
    /// <see cref="ReopenInterval"/> unless <paramref name="force"/>; true when the current engine is usable.
    /// </summary>
    private bool TryReopenLocked(Engine failed, bool force)
    {
        if (!ReferenceEquals(failed, _engine) || !failed.Faulted)
        {
            return !_engine.Faulted;
        }

        if (!force && _timeProvider.GetElapsedTime(_lastReopenAttempt) < ReopenInterval)
        {
            return false;
        }

        _lastReopenAttempt = _timeProvider.GetTimestamp();
        _dataFileChanges++;
        try
        {
            failed.Dispose();

            // Open replays the log (every acknowledged write is in it, fsynced) and writes nothing itself.
            _engine = Engine.Open(FullPath, _logPath, _openFile);
            PaymentLog.StoreReopened(_logger, FullPath);
            return true;
        }
#pragma warning disable CA1031 // Whatever stops the open, the store stays up and tries again; reads and writes fail meanwhile.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // Keep the closed engine: reads fail with its latched error until the next attempt succeeds.
            PaymentLog.StoreReopenFailed(_logger, e.Message, ReopenInterval);
            return false;
        }
    }

    private void Prepare(Engine engine)
    {
        var payments = engine.Payments;
        MoveIndexesToStoredKeys(engine);
        payments.EnsureIndex(PaymentDocument.RequestId, unique: true);
        payments.EnsureIndex(PaymentDocument.Md5, unique: true);
        payments.EnsureIndex(PaymentDocument.CreatedKey, unique: true);

        // Built over the stored payments when a database from before one of them is first opened.
        foreach (var (name, key, unique) in s_storedKeyIndexes)
        {
            payments.EnsureIndex(name, BsonExpression.Create(key), unique);
        }

        PrepareReceipts(engine);

        // The terminal's own index served the list before the composite keys did.
        payments.DropIndex(PaymentDocument.TerminalId);

        // The next check time's own index served the due query before it was fair between terminals (DueRange).
        payments.DropIndex(PaymentDocument.NextCheck);

        // Checkpoints are the store's (after an fsync of the log), never LiteDB's own.
        if (engine.Database.CheckpointSize != 0)
        {
            engine.Database.CheckpointSize = 0;
        }

        var counts = engine.Counts.FindById(CountsId);
        if (counts is null)
        {
            // A database from before the counts were kept: count it once, in one transaction with the new document.
            counts = new BsonDocument { ["_id"] = CountsId };
            foreach (var state in Enum.GetValues<PaymentState>())
            {
                counts[state.ToString()] = 0L;
            }

            var groups = payments.Query()
                .GroupBy(BsonExpression.Create("$." + PaymentDocument.State))
                .Select(BsonExpression.Create("{ state: @key, count: COUNT(*) }"))
                .ToList();
            foreach (var group in groups)
            {
                counts[group["state"].AsString] = group["count"].AsInt64;
            }

            engine.Counts.Insert(counts);
        }

        var pendingRange = ListRange.For(new PaymentQuery { State = PaymentState.Pending }, after: null);
        var pendingTerminals = payments.Query()
            .Where(BsonExpression.Create(pendingRange.Key + " BETWEEN @0 AND @1", pendingRange.Low, pendingRange.High))
            .Select(BsonExpression.Create("{ " + PaymentDocument.TerminalId + ": $." + PaymentDocument.TerminalId + " }"))
            .ToList();
        lock (_counts)
        {
            foreach (var state in Enum.GetValues<PaymentState>())
            {
                _counts[(int)state] = counts[state.ToString()].AsInt64;
            }

            _pendingByTerminal.Clear();
            foreach (var doc in pendingTerminals)
            {
                var terminalId = doc[PaymentDocument.TerminalId].AsString;
                _pendingByTerminal[terminalId] = _pendingByTerminal.GetValueOrDefault(terminalId) + 1;
            }
        }

        engine.FlushLog();
        engine.Database.Checkpoint();
    }

    /// <summary>
    /// A database from before the index keys were stored (the list and due keys, then the sparse keys) lacks some of
    /// the indexes on them, or has them on expressions: write every document anew with its keys (a thousand per
    /// transaction; a crash part-way leaves documents that are written again on the next open), then drop the indexes
    /// on expressions and those no query reads any more, which <see cref="Prepare"/> creates again on the stored keys.
    /// A new database has none of them and no documents: nothing to write.
    /// </summary>
    private void MoveIndexesToStoredKeys(Engine engine)
    {
        var storedKeys = s_storedKeyIndexes.ToDictionary(i => i.Name, i => i.Key, StringComparer.Ordinal);
        var indexes = engine.Database.GetCollection("$indexes").Query()
            .Where(BsonExpression.Create("collection = @0", CollectionName))
            .ToList()
            .ToDictionary(i => i["name"].AsString, i => i["expression"].AsString, StringComparer.Ordinal);
        var stale = indexes
            .Where(i => storedKeys.TryGetValue(i.Key, out var key) ? i.Value != BsonExpression.Create(key).Source : s_retiredIndexes.Contains(i.Key))
            .Select(i => i.Key)
            .ToList();
        if (stale.Count == 0 && storedKeys.Keys.All(indexes.ContainsKey))
        {
            return;
        }

        var rewritten = 0;
        string? after = null;
        while (true)
        {
            var page = engine.Payments.Query()
                .Where(BsonExpression.Create("_id > @0", after ?? ""))
                .OrderBy("_id")
                .Limit(1000)
                .ToList();
            if (page.Count == 0)
            {
                break;
            }

            engine.Database.BeginTrans();
            foreach (var doc in page.Select(PaymentDocument.WithIndexKeys).OfType<BsonDocument>())
            {
                engine.Payments.Update(doc);
                rewritten++;
            }

            engine.Database.Commit();
            after = page[^1]["_id"].AsString;
        }

        foreach (var name in stale)
        {
            engine.Payments.DropIndex(name);
        }

        if (rewritten > 0 || stale.Count > 0)
        {
            PaymentLog.StoreIndexKeysStored(_logger, rewritten);
        }
    }

    private static void TryRollback(Engine engine)
    {
        try
        {
            engine.Database.Rollback();
        }
#pragma warning disable CA1031 // The failure that led here is the one to report; the engine is reopened after an I/O fault.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Already rolled back by LiteDB, or the engine is closed by a latched fault.
        }
    }

    /// <summary>The I/O error behind <paramref name="e"/>, if it is one: LiteDB throws it as it is, or rethrows the latched one.</summary>
    private static IOException? StorageFault(Exception e) => e as IOException ?? e.InnerException as IOException;

    private static Payment? FindOne(ILiteCollection<BsonDocument> payments, string field, string value)
    {
        // A parameter, never the value in the text: LiteDB compiles (and caches forever) one delegate per distinct
        // expression text, so a value in the text costs a compile per new request id and grows that cache without end.
        var doc = payments.FindOne(BsonExpression.Create("$." + field + " = @0", value));
        return doc is null ? null : ReadPayment(doc);
    }

    private static Payment ReadPayment(BsonDocument doc) => Payment.FromSnapshot(PaymentDocument.ToSnapshot(doc));

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

    private static long Total(long[] counts)
    {
        var total = 0L;
        foreach (var count in counts)
        {
            total += count;
        }

        return total;
    }

    /// <summary>One open LiteDB engine on the store's two files, and the streams it was given.</summary>
    /// <summary>
    /// The transactions <paramref name="engine"/>'s transaction monitor holds (LiteDB keeps them private: read by
    /// reflection, checked by a test so a LiteDB upgrade that moves them is noticed).
    /// </summary>
    internal static List<object> OpenTransactionsOf(LiteEngine engine)
    {
        const System.Reflection.BindingFlags Instance = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic;
        var monitor = typeof(LiteEngine).GetFields(Instance)
            .FirstOrDefault(f => f.FieldType.Name == "TransactionMonitor")?.GetValue(engine);
        var transactions = monitor?.GetType().GetFields(Instance)
            .FirstOrDefault(f => f.FieldType.IsGenericType && f.FieldType.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            ?.GetValue(monitor) as System.Collections.IDictionary;
        if (transactions is null)
        {
            return [];
        }

        lock (transactions)
        {
            return [.. transactions.Values.Cast<object>()];
        }
    }

    private sealed class Engine : IDisposable
    {
        private readonly Stream _data;
        private readonly Stream _log;

        private readonly LiteEngine _liteEngine;

        private Engine(Stream data, Stream log, LiteEngine engine, LiteDatabase database)
        {
            _data = data;
            _log = log;
            _liteEngine = engine;
            Database = database;
            Payments = database.GetCollection(CollectionName);
            Counts = database.GetCollection(CountsCollectionName);
        }

        public LiteDatabase Database { get; }

        public ILiteCollection<BsonDocument> Payments { get; }

        public ILiteCollection<BsonDocument> Counts { get; }

        public long LogLength => _log.Length;

        /// <summary>An I/O error was seen on this engine: LiteDB has latched it, and only a new engine can write.</summary>
        public bool Faulted { get; set; }

        public static Engine Open(string dataPath, string logPath, Func<string, Stream> openFile)
        {
            var data = openFile(dataPath);
            Stream? log = null;
            try
            {
                log = openFile(logPath);
                var engine = new LiteEngine(new EngineSettings
                {
                    DataStream = data,
                    LogStream = log,

                    // Ordinal: request ids "A1" and "a1" are different keys, and the list keys sort by code unit.
                    // A collation is fixed when the file is created.
                    Collation = new Collation(CultureInfo.InvariantCulture.LCID, CompareOptions.Ordinal),
                });
                return new Engine(data, log, engine, new LiteDatabase(engine));
            }
            catch
            {
                log?.Dispose();
                data.Dispose();
                throw;
            }
        }

        /// <summary>fsync of the log: what LiteDB committed is on disk from here.</summary>
        public void FlushLog() => _log.Flush();

        public void Dispose()
        {
            // LiteDB closes its engine but never the streams it was given. An engine closed by a fault may throw on
            // dispose; its streams are closed all the same.
            var open = OpenTransactionsOf(_liteEngine);
            try
            {
                Database.Dispose();
            }
            finally
            {
                // LiteDB 5's transaction finalizer runs its whole dispose on the finalizer thread, where it throws and
                // ends the process (LiteDB #2828): a transaction the closing engine could not dispose (a fault left it
                // open) must never be finalized. The engine is gone; its log is replayed by the next one.
                foreach (var transaction in open)
                {
#pragma warning disable CA1816 // Deliberately another object's: LiteDB's, which it could not dispose itself.
                    GC.SuppressFinalize(transaction);
#pragma warning restore CA1816
                }

                _log.Dispose();
                _data.Dispose();
            }
        }
    }

    /// <summary>What one batch changes in the kept counts: per state, and pending per terminal.</summary>
    private sealed class CountChanges
    {
        public static readonly int StateSlots = Enum.GetValues<PaymentState>().Max(s => (int)s) + 1;

        public long[] ByState { get; } = new long[StateSlots];

        public Dictionary<string, int> PendingByTerminal { get; } = new(StringComparer.Ordinal);

        public void Add(string terminalId, PaymentState state, int change)
        {
            ByState[(int)state] += change;
            if (state == PaymentState.Pending)
            {
                PendingByTerminal[terminalId] = PendingByTerminal.GetValueOrDefault(terminalId) + change;
            }
        }
    }

    /// <summary>A queued write and its caller's answer.</summary>
    private abstract class WriteOp
    {
        /// <summary>
        /// Runs inside the batch's transaction, never throws for an expected outcome. Adds its change of the kept
        /// counts to <paramref name="counts"/>; true when the batch must be fsynced before this write is answered.
        /// </summary>
        public abstract bool Apply(ILiteCollection<BsonDocument> payments, CountChanges counts);

        /// <summary>As the other overload; a write to another collection of the file overrides this one.</summary>
        public virtual bool Apply(Engine engine, CountChanges counts) => Apply(engine.Payments, counts);

        /// <summary>
        /// Bookkeeping: a write nobody waits on an fsync for (a poll check's schedule, an outbox delivery mark), which
        /// the writer takes after creates and transitions (<see cref="WriteLoop"/>).
        /// </summary>
        public virtual bool IsBookkeeping => false;

        /// <summary>The batch is committed (and durable if it had to be): answer the caller.</summary>
        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private abstract class WriteOp<T> : WriteOp
    {
        private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _answer.Task;

        protected T? Result { get; set; }

        public override void Complete()
        {
            Accept();
            _answer.TrySetResult(Result!);
        }

        public override void Fail(Exception exception) => _answer.TrySetException(exception);

        protected virtual void Accept()
        {
        }
    }

    private sealed class InsertOp(Payment payment, int? maxPendingForTerminal, LiteDbPaymentStore store) : WriteOp<InsertResult>
    {
        public override bool Apply(ILiteCollection<BsonDocument> payments, CountChanges counts)
        {
            // The request id decides, also between two inserts of one batch (the transaction sees its own writes).
            if (FindOne(payments, PaymentDocument.RequestId, payment.RequestId) is { } existing)
            {
                Result = new InsertResult(existing, Inserted: false);
                return false;
            }

            if (maxPendingForTerminal is { } max && store.PendingAfter(counts, payment.TerminalId) >= max)
            {
                // The count as of this write; the caller reads the earliest expiry once the batch is done.
                Result = InsertResult.RefusedAt(payment, new PendingCount(max, EarliestExpiry: null));
                return false;
            }

            // An id or md5 taken without the request id is not an idempotent replay: LiteDB's unique index throws.
            payments.Insert(PaymentDocument.From(payment.ToSnapshot()));
            counts.Add(payment.TerminalId, payment.State, 1);
            Result = new InsertResult(payment, Inserted: true);
            return true;
        }

        protected override void Accept()
        {
            if (Result!.Inserted)
            {
                payment.AcceptChanges();
            }
        }
    }

    private sealed class SaveOp(Payment payment, ILogger logger) : WriteOp<SaveResult>
    {
        // A save without events; read when queued (the caller waits for the answer and changes nothing meanwhile).
        private readonly bool _isBookkeeping = !payment.UnsavedEvents.Any();

        public override bool IsBookkeeping => _isBookkeeping;

        public override bool Apply(ILiteCollection<BsonDocument> payments, CountChanges counts)
        {
            var stored = payments.FindById(payment.Id);
            if (stored is null)
            {
                Result = SaveResult.NotFound;
                return false;
            }

            var storedVersion = stored[PaymentDocument.Version].AsInt64;
            if (storedVersion != payment.PersistedVersion)
            {
                PaymentLog.SaveConflict(logger, payment.Id, payment.PersistedVersion, storedVersion);
                Result = SaveResult.Conflict;
                return false;
            }

            Result = SaveResult.Saved;
            if (!payment.HasUnsavedChanges)
            {
                return false;
            }

            var doc = PaymentDocument.From(payment.ToSnapshot());

            // Delivery progress belongs to the store (the dispatcher writes it without a version bump): keep it.
            var storedOutbox = PaymentDocument.ReadOutbox(stored).ToDictionary(o => o.EventId, StringComparer.Ordinal);
            var merged = new List<OutboxEntry>(payment.Outbox.Count);
            foreach (var entry in payment.Outbox)
            {
                merged.Add(storedOutbox.TryGetValue(entry.EventId, out var s) && (s.IsDelivered || s.Attempts > entry.Attempts) ? s : entry);
            }

            PaymentDocument.SetOutbox(doc, merged);
            payments.Update(doc);
            var before = Enum.Parse<PaymentState>(stored[PaymentDocument.State].AsString);
            counts.Add(payment.TerminalId, before, -1);
            counts.Add(payment.TerminalId, payment.State, 1);
            return !_isBookkeeping; // a save with events is answered once durable
        }

        protected override void Accept()
        {
            if (Result == SaveResult.Saved)
            {
                payment.AcceptChanges();
            }
        }
    }

    private sealed class OutboxOp(string paymentId, string eventId, Func<OutboxEntry, OutboxEntry> change) : WriteOp<bool>
    {
        public override bool IsBookkeeping => true;

        public override bool Apply(ILiteCollection<BsonDocument> payments, CountChanges counts)
        {
            var doc = payments.FindById(paymentId);
            var outbox = doc is null ? null : PaymentDocument.ReadOutbox(doc);
            var index = outbox?.FindIndex(o => o.EventId == eventId) ?? -1;
            if (index < 0)
            {
                Result = false;
                return false;
            }

            outbox![index] = change(outbox[index]);
            PaymentDocument.SetOutbox(doc!, outbox);
            payments.Update(doc!);
            Result = true;
            return false;
        }
    }

    /// <summary>
    /// Which index serves a list query and the range of it to read. Each list index's key is a prefix (nothing, the
    /// terminal, the state, or both) followed by the created key (creation time as 19 digits, ':', the id), so one
    /// range of one index is both the filter and the newest-first order, with the time range a range of the created
    /// key. The terminal is prefixed with its length, so no terminal's prefix starts another's.
    /// </summary>
    private readonly record struct ListRange(string Key, string Low, string High)
    {
        public const string TerminalIndex = "list_terminal";
        public const string StateIndex = "list_state";
        public const string TerminalStateIndex = "list_terminal_state";

        public const string CreatedKey = "$." + PaymentDocument.CreatedKey;
        public const string TerminalKey = "$." + PaymentDocument.ListTerminalKey;
        public const string StateKey = "$." + PaymentDocument.ListStateKey;
        public const string TerminalStateKey = "$." + PaymentDocument.ListTerminalStateKey;

        /// <param name="query">The filter.</param>
        /// <param name="after">The previous page's last created key: the range ends there (inclusive; the caller skips it).</param>
        public static ListRange For(PaymentQuery query, string? after)
        {
            var terminal = query.TerminalId is { } t ? PaymentDocument.TerminalPrefixOf(t) : null;
            var state = query.State is { } s ? PaymentDocument.StatePrefixOf(s.ToString()) : null;
            var key = terminal is null
                ? (state is null ? CreatedKey : StateKey)
                : (state is null ? TerminalKey : TerminalStateKey);
            var prefix = terminal + state;

            // Created keys start with 19 digits, all below ':'. A bare time bound sorts below every key with that
            // time (they go on with ':' and the id), so "created before T" is "key at most prefix + T".
            var low = prefix + Ticks(query.CreatedFrom?.UtcTicks ?? 0);
            var high = query.CreatedTo is { } to ? prefix + Ticks(to.UtcTicks) : prefix + ":";
            if (after is not null && string.CompareOrdinal(prefix + after, high) < 0)
            {
                high = prefix + after;
            }

            return new ListRange(key, low, high);
        }

        private static string Ticks(long ticks) => Math.Max(0, ticks).ToString("D19", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The index of the exception queue: the created key (oldest first) of each payment that needs a person — flagged
    /// for review or paid late, and not resolved (<see cref="Payment.NeedsPerson"/>) — and no entry for any other
    /// payment (<see cref="PaymentDocument.ExceptionKeys"/>).
    /// </summary>
    private static class ExceptionRange
    {
        public const string Index = "exceptions";

        public const string Key = "$." + PaymentDocument.ExceptionKeys + "[*]";
    }

    /// <summary>
    /// The index of scheduled payments by terminal: the key is the terminal (length-prefixed, as in
    /// <see cref="ListRange"/>, so no terminal's prefix starts another's), ':', and the next check time as 19 digits;
    /// null for a payment with nothing scheduled, which no range reads. One terminal's due payments are one range of
    /// it, earliest first, and the first entry after <c>prefix + ';'</c> is the next terminal's earliest.
    /// </summary>
    /// <remarks>FORMAT, not STRING: LiteDB writes an Int64 as JSON (<c>{"$numberLong": …}</c>) in STRING.</remarks>
    private static class DueRange
    {
        public const string Index = "due_terminal";

        public const string Key = "$." + PaymentDocument.DueKey;

        public static string PrefixOf(string terminalId) => PaymentDocument.TerminalPrefixOf(terminalId);

        /// <summary>The key of <paramref name="prefix"/>'s payment due at <paramref name="ticks"/>.</summary>
        public static string At(string prefix, long ticks) => PaymentDocument.DueKeyAt(prefix, ticks);

        /// <summary>Above every key of <paramref name="prefix"/> (';' follows ':') and below the next terminal's.</summary>
        public static string After(string prefix) => prefix + ";";

        public static string KeyOf(BsonDocument doc) => doc[PaymentDocument.DueKey].AsString;
    }
}
