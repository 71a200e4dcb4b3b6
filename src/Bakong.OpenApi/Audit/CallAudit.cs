using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Bakong.OpenApi.Audit;

/// <summary>
/// Both audits, whichever store keeps them: every <see cref="BakongCallRecord"/> is logged at once as a structured
/// event, and every record (a call to Bakong or an <see cref="ApiCallRecord"/>) is queued for the background writer
/// (<see cref="CallAuditWriter"/>), which hands the store batches of at most 256, so recording never makes a call to
/// Bakong or a CreatePayment wait on the store. The store's part: <see cref="WriteAsync"/>, the two paged queries
/// (newest first by time then the store's record id, <see cref="AuditQuery"/>) and <see cref="PruneAsync"/> (retention
/// by age and by count). <see cref="LiteDbCallAudit"/> keeps them in the data directory's <c>bakong-audit.db</c>; the
/// PostgreSQL store in tables of the gateway's database.
/// </summary>
/// <remarks>
/// The queue is bounded (<see cref="BakongCallAuditOptions.QueueCapacity"/>). When it is full the oldest waiting
/// record is dropped rather than the caller made to wait or the newest lost: during a stall the recent calls are the
/// ones worth keeping. Drops are counted (<see cref="DroppedCount"/>) and reported in the log; the dropped records'
/// own log events were already written. A batch the store fails to write is logged (with its count) and not retried.
/// </remarks>
public abstract class CallAudit : IBakongCallAudit, IApiCallAudit
{
    private const int MaxBatch = 256;

    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue;
    private readonly Lock _flushGate = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _flushWaiters = [];
    private long _accepted;
    private long _settled;
    private long _dropped;
    private long _unreportedDrops;

    private protected CallAudit(BakongCallAuditOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _queue = Channel.CreateBounded<Pending>(
            new BoundedChannelOptions(options.QueueCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
            },
            OnDropped);
    }

    /// <summary>Records dropped because the queue was full, since start.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Logs the record and queues it for persistence; never blocks.</summary>
    public void Record(BakongCallRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        record = AuditRedaction.Scrub(record);

        var level = record.HttpStatus is >= 200 and < 300 ? LogLevel.Information : LogLevel.Warning;
        AuditLog.BakongCall(
            _logger,
            level,
            record.Endpoint,
            record.Attempt,
            record.Outcome,
            record.HttpStatus,
            record.ResponseCode,
            record.ErrorCode,
            record.ResponseMessage,
            record.Latency.TotalMilliseconds,
            record.Subject);

        Enqueue(new Pending(record, null));
    }

    /// <summary>Queues an API call record for persistence; never blocks.</summary>
    public void Record(ApiCallRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Enqueue(new Pending(null, record));
    }

    /// <summary>Completes when everything recorded before the call has been persisted (or dropped, or failed).</summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        var target = Interlocked.Read(ref _accepted);
        lock (_flushGate)
        {
            if (Interlocked.Read(ref _settled) >= target)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((target, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// One page of the calls to Bakong in <paramref name="query"/>'s window that <paramref name="filter"/> keeps, newest
    /// first. Backs the admin API's <c>ListBakongCalls</c>.
    /// </summary>
    public abstract Task<AuditPage<BakongCallRecord>> PageBakongCallsAsync(AuditQuery query, BakongCallFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// One page of the API calls in <paramref name="query"/>'s window that <paramref name="filter"/> keeps, newest
    /// first. Backs the admin API's <c>ListApiCalls</c>.
    /// </summary>
    public abstract Task<AuditPage<ApiCallRecord>> PageApiCallsAsync(AuditQuery query, ApiCallFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes records older than the retention and the oldest beyond the maximum count, in the Bakong call audit and
    /// the API audit alike (each holds at most the maximum); returns how many.
    /// </summary>
    public abstract Task<int> PruneAsync(CancellationToken cancellationToken);

    /// <summary>Persists one batch, in the order recorded; either list may be empty.</summary>
    private protected abstract Task WriteAsync(IReadOnlyList<BakongCallRecord> calls, IReadOnlyList<ApiCallRecord> apiCalls, CancellationToken cancellationToken);

    /// <summary>Stops accepting records; the writer drains what is queued and returns.</summary>
    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>Persists queued records in batches until <see cref="Complete"/> is called and the queue is empty.</summary>
    internal async Task RunWriterAsync(CancellationToken cancellationToken)
    {
        var calls = new List<BakongCallRecord>(MaxBatch);
        var apiCalls = new List<ApiCallRecord>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (calls.Count + apiCalls.Count < MaxBatch && reader.TryRead(out var pending))
            {
                if (pending.Call is { } call)
                {
                    calls.Add(call);
                }
                else
                {
                    apiCalls.Add(pending.Api!);
                }
            }

            var count = calls.Count + apiCalls.Count;
            if (count > 0)
            {
                try
                {
                    await WriteAsync(calls, apiCalls, cancellationToken).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // A failing disk or database must not stop the writer: the records are in the log regardless.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    AuditLog.WriteFailed(_logger, count, exception);
                }

                Settle(count);
                calls.Clear();
                apiCalls.Clear();
            }

            if (Interlocked.Exchange(ref _unreportedDrops, 0) is > 0 and var drops)
            {
                AuditLog.RecordsDropped(_logger, drops);
            }
        }
    }

    /// <summary>Logs what a prune deleted, if anything.</summary>
    private protected void Pruned(int deleted, BakongCallAuditOptions options)
    {
        if (deleted > 0)
        {
            AuditLog.Pruned(_logger, deleted, options.Retention, options.MaxRecords);
        }
    }

    private void Enqueue(Pending pending)
    {
        // Counted before the write, so a flush that starts now waits for this record whether it is written or dropped.
        Interlocked.Increment(ref _accepted);
        if (!_queue.Writer.TryWrite(pending))
        {
            // Only after shutdown completed the queue.
            CountDrop();
            Settle(1);
        }
    }

    private void OnDropped(Pending pending)
    {
        CountDrop();
        Settle(1);
    }

    /// <summary>Records persisted, failed to persist, or dropped: releases the flushes waiting for them.</summary>
    private void Settle(int count)
    {
        var settled = Interlocked.Add(ref _settled, count);
        lock (_flushGate)
        {
            for (var i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                if (_flushWaiters[i].Target <= settled)
                {
                    _flushWaiters[i].Done.TrySetResult();
                    _flushWaiters.RemoveAt(i);
                }
            }
        }
    }

    private void CountDrop()
    {
        Interlocked.Increment(ref _dropped);
        Interlocked.Increment(ref _unreportedDrops);
    }

    /// <summary>A record waiting for the writer: a call to Bakong or an API call.</summary>
    private readonly record struct Pending(BakongCallRecord? Call, ApiCallRecord? Api);
}
