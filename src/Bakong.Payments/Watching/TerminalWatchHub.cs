using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Bakong.Payments.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Payments.Watching;

/// <summary>
/// The <c>WatchTerminal</c> feed: every published change of every payment of one terminal, in the order it was
/// published, resumable by a <see cref="TerminalCursor"/>; and the same over every terminal for the operator
/// (<c>AdminService.WatchPayments</c>, <see cref="OpenEveryTerminal"/>). Fed by the same wake-up as
/// <see cref="PaymentWatchHub"/> (<see cref="PaymentWatchWakeup"/>: saves that appended an event, after they are
/// durable), so it shows what <c>WatchPayment</c> shows, for a whole terminal; and, on a shared database, by the
/// changes other replicas commit (<see cref="IReplicaChangeSink"/>), read only while a stream wants their terminal.
/// </summary>
/// <remarks>
/// <para>
/// Each published change gets the next number of one gateway-wide sequence and goes into a ring of the last
/// <see cref="JournalCapacity"/> changes (all terminals). A cursor names a change of this run; a stream resumed with one
/// whose changes since are all still in the ring is shown exactly those of its terminal (none lost, none repeated), then
/// the live ones. A cursor from an earlier run of the gateway (the ring is memory: a restart starts a new
/// <see cref="TerminalCursor.Epoch"/>) or older than the ring starts the stream from the terminal's current state
/// instead, and says so (<see cref="TerminalWatchEvent.CaughtUp.Resumed"/> false).
/// </para>
/// <para>
/// Unlike a payment's watch (latest wins), a terminal's stream must not skip: the changes of different payments are
/// not each other's newer versions. Each stream may fall <see cref="StreamBuffer"/> changes behind; past that it is
/// dropped (<see cref="TerminalWatch.Behind"/>, and <see cref="TerminalWatchBehindException"/> from its enumerator), so
/// a stalled reader costs a bounded amount of memory and never slows a publisher.
/// </para>
/// </remarks>
public sealed class TerminalWatchHub : IReplicaChangeSink
{
    /// <summary>Changes kept for resuming, over all terminals (each holds the payment's snapshot).</summary>
    public const int JournalCapacity = 1024;

    /// <summary>Changes one stream may have waiting before it is dropped as too slow.</summary>
    public const int StreamBuffer = 64;

    private readonly IPaymentStore _store;
    private readonly CancellationToken _stopping;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly TerminalChange?[] _journal = new TerminalChange?[JournalCapacity];

    // The highest version journalled per payment, for the payments still in the journal: a publish that arrives after
    // a newer one of the same payment (two savers finishing out of order) is not journalled.
    private readonly Dictionary<string, long> _journalled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TerminalMailbox[]> _subscribers = new(StringComparer.Ordinal);

    // The streams of every terminal's changes (operators'): offered every change.
    private TerminalMailbox[] _everyTerminal = [];
    private long _sequence;

    // The first sequence number a cursor may have to resume: changes saved elsewhere before it may be missing (ChangesMissed).
    private long _resumableFrom;

    public TerminalWatchHub(IPaymentStore store, IHostApplicationLifetime lifetime, ILogger<TerminalWatchHub>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(lifetime);
        _store = store;
        _stopping = lifetime.ApplicationStopping;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Epoch = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong)));
    }

    /// <summary>This run's epoch: random at every start, so a cursor of an earlier run is told apart.</summary>
    public ulong Epoch { get; }

    /// <summary>
    /// Journals a saved change and offers it to its terminal's streams. Call it after the store saved the change, as
    /// <see cref="PaymentWatchHub.Publish(PaymentSnapshot)"/>.
    /// </summary>
    public void Publish(PaymentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        List<TerminalMailbox>? behind = null;
        lock (_gate)
        {
            if (_journalled.TryGetValue(snapshot.Id, out var version) && version >= snapshot.Version)
            {
                return;
            }

            var sequence = NextSequence();
            var change = new TerminalChange(sequence, snapshot);
            _journal[(int)(sequence % JournalCapacity)] = change;
            _journalled[snapshot.Id] = snapshot.Version;

            // Offered under the lock: each stream must get its changes in sequence order, whoever publishes them.
            if (_subscribers.TryGetValue(snapshot.Parameters.TerminalId, out var mailboxes))
            {
                Offer(mailboxes, change, ref behind);
            }

            Offer(_everyTerminal, change, ref behind);
        }

        // Outside the lock: cancelling runs the dropped stream's callbacks (its pending write).
        behind?.ForEach(m => m.Drop(TerminalWatchEnd.Behind));
    }

    /// <summary>The next number of the sequence, its journal slot emptied (under the lock).</summary>
    private long NextSequence()
    {
        var sequence = ++_sequence;
        var slot = (int)(sequence % JournalCapacity);
        if (_journal[slot] is { } evicted
            && _journalled.TryGetValue(evicted.Payment.Id, out var kept) && kept == evicted.Payment.Version)
        {
            _journalled.Remove(evicted.Payment.Id);
        }

        _journal[slot] = null;
        return sequence;
    }

    private static void Offer(TerminalMailbox[] mailboxes, TerminalChange change, ref List<TerminalMailbox>? behind)
    {
        foreach (var mailbox in mailboxes)
        {
            if (!mailbox.Offer(change))
            {
                (behind ??= []).Add(mailbox);
            }
        }
    }

    /// <summary>
    /// Opens a stream of <paramref name="terminalId"/>'s changes for a client at <paramref name="cursor"/> (empty for
    /// none): a <see cref="TerminalWatchResult.Watching"/> to enumerate and dispose, or the cursor's violation.
    /// </summary>
    /// <remarks>The caller checks the terminal id (its rule and who may watch it) before.</remarks>
    public TerminalWatchResult Open(string terminalId, string cursor)
    {
        ArgumentException.ThrowIfNullOrEmpty(terminalId);
        return OpenStream(terminalId, cursor);
    }

    /// <summary>
    /// Opens a stream of every terminal's changes (the operator's <c>WatchPayments</c>) at <paramref name="cursor"/>, as
    /// <see cref="Open(string, string)"/> does for one terminal: its catch-up is every pending payment, and a cursor of a
    /// terminal's stream is not one of this stream's.
    /// </summary>
    /// <remarks>The caller checks that the caller may see every terminal's payments before.</remarks>
    public TerminalWatchResult OpenEveryTerminal(string cursor) => OpenStream(null, cursor);

    // terminalId null: every terminal.
    private TerminalWatchResult OpenStream(string? terminalId, string cursor)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        TerminalCursor? from = null;
        if (cursor.Length > 0)
        {
            if (TerminalCursor.TryParse(cursor, terminalId, out var parsed) is { } violation)
            {
                return new TerminalWatchResult.Invalid([violation]);
            }

            from = parsed;
        }

        var tag = TerminalCursor.TagOf(terminalId);
        var mailbox = new TerminalMailbox(terminalId);
        List<TerminalChange>? backlog = null;
        long start;
        lock (_gate)
        {
            if (from is { } c && c.Epoch == Epoch)
            {
                if (c.Sequence > _sequence)
                {
                    return new TerminalWatchResult.Invalid([new FieldViolation("cursor", "ahead of this gateway's changes: not a cursor it issued")]);
                }

                // Resumable when every change after the cursor is still in the journal, and none may be missing.
                if (c.Sequence >= _sequence - JournalCapacity && c.Sequence >= _resumableFrom)
                {
                    backlog = [];
                    for (var s = c.Sequence + 1; s <= _sequence; s++)
                    {
                        if (_journal[(int)(s % JournalCapacity)] is { } change && mailbox.Wants(change.Payment))
                        {
                            backlog.Add(change);
                        }
                    }
                }
            }

            start = backlog is null ? _sequence : from!.Value.Sequence;
            if (terminalId is null)
            {
                _everyTerminal = [.. _everyTerminal, mailbox];
            }
            else
            {
                _subscribers[terminalId] = _subscribers.TryGetValue(terminalId, out var existing) ? [.. existing, mailbox] : [mailbox];
            }
        }

        if (terminalId is null)
        {
            WatchLog.EveryTerminalStarted(_logger, backlog is not null);
        }
        else
        {
            WatchLog.TerminalStarted(_logger, terminalId, backlog is not null);
        }

        return new TerminalWatchResult.Watching(new TerminalWatch(this, mailbox, tag, start, backlog));
    }

    /// <summary>Whether a stream here wants this terminal's changes: one another replica committed is then read.</summary>
    bool IReplicaChangeSink.Follows(string terminalId)
    {
        lock (_gate)
        {
            return _everyTerminal.Length > 0 || _subscribers.ContainsKey(terminalId);
        }
    }

    /// <summary>
    /// A change another replica committed, as read after its notification: journalled and offered like a local one (an
    /// older version than one journalled is dropped, so the replica's read racing a newer local publish shows nothing twice).
    /// </summary>
    void IReplicaChangeSink.SavedElsewhere(Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        Publish(payment.ToSnapshot());
    }

    /// <summary>
    /// Changes other replicas committed may not have been told (the change listener lost its connection): every open
    /// stream ends (<see cref="TerminalWatchGapException"/>), and no cursor issued before can be resumed, so a client
    /// that calls again starts over from the terminal's current state (<see cref="TerminalWatchEvent.CaughtUp.Resumed"/>
    /// false), as with a cursor too old for the journal, instead of resuming past the changes it never got.
    /// </summary>
    void IReplicaChangeSink.ChangesMissed()
    {
        List<TerminalMailbox> open;
        lock (_gate)
        {
            // A number of the sequence with no change of its own: the first a cursor may resume from.
            _resumableFrom = NextSequence();
            open = [.. _subscribers.Values.SelectMany(m => m), .. _everyTerminal];
        }

        WatchLog.ChangesMissed(_logger, open.Count);
        open.ForEach(m => m.Drop(TerminalWatchEnd.ChangesMissed));
    }

    private void Unsubscribe(TerminalMailbox mailbox)
    {
        lock (_gate)
        {
            if (mailbox.TerminalId is null)
            {
                _everyTerminal = [.. _everyTerminal.Where(m => m != mailbox)];
            }
            else if (_subscribers.TryGetValue(mailbox.TerminalId, out var existing) && Array.IndexOf(existing, mailbox) >= 0)
            {
                var remaining = existing.Where(m => m != mailbox).ToArray();
                if (remaining.Length == 0)
                {
                    _subscribers.Remove(mailbox.TerminalId);
                }
                else
                {
                    _subscribers[mailbox.TerminalId] = remaining;
                }
            }
        }
    }

    /// <summary>The terminal's pending payments (every terminal's: null) as stored now, oldest first.</summary>
    private async Task<List<Payment>> ReadPendingAsync(string? terminalId, CancellationToken cancellationToken)
    {
        var pending = new List<Payment>();
        string? token = null;
        do
        {
            var page = await _store.ListAsync(
                new PaymentQuery { State = PaymentState.Pending, TerminalId = terminalId, PageSize = PaymentLimits.MaxPageSize, PageToken = token },
                cancellationToken).ConfigureAwait(false);
            pending.AddRange(page.Payments);
            token = page.NextPageToken;
        }
        while (token is not null);

        pending.Reverse();
        return pending;
    }

    /// <summary>
    /// One open stream. Enumerate <see cref="ReadAllAsync"/> once; dispose it when done (it leaves the hub). When it
    /// falls too far behind, <see cref="Behind"/> is cancelled (so a write stuck on a stalled client can be given up)
    /// and the enumerator throws <see cref="TerminalWatchBehindException"/>.
    /// </summary>
    public sealed class TerminalWatch : IDisposable
    {
        private readonly TerminalWatchHub _hub;
        private readonly TerminalMailbox _mailbox;
        private readonly uint _tag;
        private readonly long _start;
        private readonly List<TerminalChange>? _backlog;
        private int _disposed;

        internal TerminalWatch(TerminalWatchHub hub, TerminalMailbox mailbox, uint tag, long start, List<TerminalChange>? backlog)
        {
            _hub = hub;
            _mailbox = mailbox;
            _tag = tag;
            _start = start;
            _backlog = backlog;
        }

        /// <summary>
        /// Cancelled when the stream is dropped: it fell more than <see cref="StreamBuffer"/> changes behind, or changes
        /// may be missing (<see cref="Dropped"/> says which).
        /// </summary>
        public CancellationToken Behind => _mailbox.Behind;

        /// <summary>Why the stream was dropped; null while it is not.</summary>
        public TerminalWatchEnd? Dropped => _mailbox.Dropped;

        /// <summary>
        /// The catch-up, <see cref="TerminalWatchEvent.CaughtUp"/>, then each change as it is published, until the
        /// application stops (the enumeration completes) or <paramref name="cancellationToken"/> is cancelled
        /// (<see cref="OperationCanceledException"/>).
        /// </summary>
        public async IAsyncEnumerable<TerminalWatchEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _hub._stopping);
            var end = WatchEnd.Abandoned;
            var last = _start;
            Dictionary<string, long>? caughtUpVersions = null;
            try
            {
                if (_backlog is not null)
                {
                    foreach (var change in _backlog)
                    {
                        last = change.Sequence;
                        yield return new TerminalWatchEvent.Change(change.Payment, Cursor(change.Sequence));
                    }
                }
                else
                {
                    List<Payment> pending;
                    try
                    {
                        pending = await _hub.ReadPendingAsync(_mailbox.TerminalId, stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (_hub.IsStoppingOnly(cancellationToken))
                    {
                        end = WatchEnd.Stopping;
                        yield break;
                    }

                    // A change committed before that read may be published after the stream subscribed: the read
                    // already showed it, so the live part skips versions it has (only these payments can repeat).
                    caughtUpVersions = pending.ToDictionary(p => p.Id, p => p.Version, StringComparer.Ordinal);
                    foreach (var payment in pending)
                    {
                        yield return new TerminalWatchEvent.Change(payment.ToSnapshot(), null);
                    }
                }

                yield return new TerminalWatchEvent.CaughtUp(_backlog is not null, Cursor(last));
                while (true)
                {
                    TerminalChange next;
                    try
                    {
                        next = await _mailbox.TakeAsync(stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (_hub.IsStoppingOnly(cancellationToken))
                    {
                        end = WatchEnd.Stopping;
                        yield break;
                    }
                    catch (TerminalWatchBehindException)
                    {
                        end = WatchEnd.Behind;
                        throw;
                    }
                    catch (TerminalWatchGapException)
                    {
                        end = WatchEnd.ChangesMissed;
                        throw;
                    }

                    last = next.Sequence;
                    if (caughtUpVersions is not null && caughtUpVersions.TryGetValue(next.Payment.Id, out var had) && next.Payment.Version <= had)
                    {
                        continue;
                    }

                    yield return new TerminalWatchEvent.Change(next.Payment, Cursor(next.Sequence));
                }
            }
            finally
            {
                if (end == WatchEnd.Abandoned && cancellationToken.IsCancellationRequested)
                {
                    end = WatchEnd.Cancelled;
                }

                if (_mailbox.TerminalId is null)
                {
                    WatchLog.EveryTerminalEnded(_hub._logger, last, end);
                }
                else
                {
                    WatchLog.TerminalEnded(_hub._logger, _mailbox.TerminalId, last, end);
                }
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _hub.Unsubscribe(_mailbox);
                _mailbox.Dispose();
            }
        }

        private TerminalCursor Cursor(long sequence) => new(_hub.Epoch, sequence, _tag);
    }

    private bool IsStoppingOnly(CancellationToken cancellationToken) =>
        _stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
}

/// <summary>One journalled change: its number in the gateway-wide sequence and the payment as saved.</summary>
internal sealed record TerminalChange(long Sequence, PaymentSnapshot Payment);

/// <summary>A message of a <c>WatchTerminal</c> (or <c>WatchPayments</c>) stream.</summary>
public abstract record TerminalWatchEvent
{
    private TerminalWatchEvent()
    {
    }

    /// <summary>
    /// A payment of the terminal (of any, on a stream of every terminal): in the catch-up of a stream that did not
    /// resume (<paramref name="Cursor"/> null: not a point to resume from), or a change (its cursor).
    /// </summary>
    public sealed record Change(PaymentSnapshot Payment, TerminalCursor? Cursor) : TerminalWatchEvent;

    /// <summary>
    /// The catch-up is over. <paramref name="Resumed"/>: what came before were the changes after the request's cursor;
    /// otherwise the terminal's (every terminal's) pending payments as they are now (none: the terminal is idle).
    /// </summary>
    public sealed record CaughtUp(bool Resumed, TerminalCursor Cursor) : TerminalWatchEvent;
}

/// <summary>How opening a <c>WatchTerminal</c> (or <c>WatchPayments</c>) stream went.</summary>
public abstract record TerminalWatchResult
{
    private TerminalWatchResult()
    {
    }

    public sealed record Watching(TerminalWatchHub.TerminalWatch Watch) : TerminalWatchResult;

    /// <summary>The cursor is not one this gateway issued for this stream's terminal, or for every terminal (INVALID_ARGUMENT, <c>cursor</c>).</summary>
    public sealed record Invalid(IReadOnlyList<FieldViolation> Violations) : TerminalWatchResult;
}

/// <summary>A <c>WatchTerminal</c> (or <c>WatchPayments</c>) stream fell more than <see cref="TerminalWatchHub.StreamBuffer"/> changes behind and was dropped.</summary>
public sealed class TerminalWatchBehindException()
    : Exception($"The stream fell more than {TerminalWatchHub.StreamBuffer} changes behind: the client reads too slowly.");

/// <summary>
/// A <c>WatchTerminal</c> (or <c>WatchPayments</c>) stream was dropped because changes other gateways committed may not
/// have reached this one (its change listener lost the database meanwhile).
/// </summary>
public sealed class TerminalWatchGapException()
    : Exception("Changes other gateways committed while this gateway's change listener was disconnected were not heard.");

/// <summary>Why a terminal stream was dropped.</summary>
public enum TerminalWatchEnd
{
    /// <summary>Its client read too slowly (<see cref="TerminalWatchHub.StreamBuffer"/> changes waited).</summary>
    Behind,

    /// <summary>Changes saved elsewhere may be missing (<see cref="IReplicaChangeSink.ChangesMissed"/>).</summary>
    ChangesMissed,
}

/// <summary>
/// One terminal stream's queue (<see cref="TerminalId"/> null: every terminal's): at most
/// <see cref="TerminalWatchHub.StreamBuffer"/> changes, in sequence order.
/// </summary>
internal sealed class TerminalMailbox(string? terminalId) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<TerminalChange> _queue = new();
    private readonly CancellationTokenSource _behind = new();
    private TaskCompletionSource? _waiter;
    private TerminalWatchEnd? _dropped;

    public string? TerminalId { get; } = terminalId;

    public CancellationToken Behind => _behind.Token;

    /// <summary>Why the stream was dropped; null while it is not.</summary>
    public TerminalWatchEnd? Dropped
    {
        get
        {
            lock (_gate)
            {
                return _dropped;
            }
        }
    }

    /// <summary>Whether this stream shows changes of <paramref name="payment"/>'s terminal.</summary>
    public bool Wants(PaymentSnapshot payment) => TerminalId is null || TerminalId == payment.Parameters.TerminalId;

    /// <summary>Queues a change; false when the queue is full (the stream is then dropped: call <see cref="Drop"/>).</summary>
    public bool Offer(TerminalChange change)
    {
        TaskCompletionSource? wake;
        bool full;
        lock (_gate)
        {
            if (_dropped is not null)
            {
                return true;
            }

            full = _queue.Count >= TerminalWatchHub.StreamBuffer;
            if (full)
            {
                _dropped = TerminalWatchEnd.Behind;
                _queue.Clear();
            }
            else
            {
                _queue.Enqueue(change);
            }

            wake = _waiter;
            _waiter = null;
        }

        wake?.TrySetResult();
        return !full;
    }

    /// <summary>Drops the stream and tells its writer why (outside the hub's lock: this runs cancellation callbacks).</summary>
    public void Drop(TerminalWatchEnd why)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _dropped ??= why;
            _queue.Clear();
            wake = _waiter;
            _waiter = null;
        }

        wake?.TrySetResult();
        try
        {
            _behind.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the stream ended meanwhile
        }
    }

    public async ValueTask<TerminalChange> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task ready;
            lock (_gate)
            {
                if (_dropped is { } why)
                {
                    throw why == TerminalWatchEnd.ChangesMissed ? new TerminalWatchGapException() : new TerminalWatchBehindException();
                }

                if (_queue.TryDequeue(out var next))
                {
                    return next;
                }

                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                ready = _waiter.Task;
            }

            await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _behind.Dispose();
}
