using System.Collections.Frozen;
using System.Threading.Channels;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bakong.Storage.PostgreSql;

/// <summary>
/// The gateway's API clients on PostgreSQL: writes, lists and finds go to the <c>api_clients</c> table
/// (<see cref="PostgresClientStore"/>), and every call's key is checked against a copy of all the rows in memory (a
/// shop has tens of clients, a chain hundreds), as the LiteDB store answers from its embedded file: no query, no
/// pooled connection and no blocked thread per authenticated call.
/// </summary>
/// <remarks>
/// <para>
/// The copy is read whole at start and again: after every write through this replica (before the write returns, so
/// this replica's next call sees it); when another replica or <c>bakong clients</c> changes a client (its
/// <c>NOTIFY</c> on <see cref="PostgresClientStore.Channel"/>, heard by the replica's one
/// <see cref="PostgresChangeListener"/>); after the listener (re)connects (notifications sent while it was not
/// listening are lost); and every <see cref="ReloadInterval"/> on the <see cref="TimeProvider"/>, a safety net. So a
/// key revoked on one replica is refused on every other one as soon as it has handled the notification, and at worst
/// (a notification lost without the connection noticing) after <see cref="ReloadInterval"/>.
/// </para>
/// <para>
/// A key of a client id the copy does not have (made on another replica a moment before its notification arrives)
/// reloads once before it is refused, at most once per <see cref="UnknownClientReloadInterval"/> for all callers
/// together: a flood of made-up keys costs one query a second, not one per call.
/// </para>
/// </remarks>
internal sealed class PostgresClientCache : IClientStore
{
    /// <summary>The periodic reload: the longest a missed notification leaves a revoked key accepted.</summary>
    internal static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(30);

    /// <summary>At most one reload for keys of unknown client ids per this interval.</summary>
    internal static readonly TimeSpan UnknownClientReloadInterval = TimeSpan.FromSeconds(1);

    private readonly PostgresClientStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // Reloads run one at a time and read inside the gate: a reload that swaps the copy read after every earlier swap.
    private readonly Lock _reloadGate = new();
    private readonly Lock _unknownGate = new();

    // Asked reloads (from the notification callback, which must not block); one pending is enough, it reads everything.
    private readonly Channel<string> _requests = Channel.CreateBounded<string>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private FrozenDictionary<string, Entry> _clients = FrozenDictionary<string, Entry>.Empty;
    private TaskCompletionSource _reloaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long? _unknownReloadAt;
    private long _reads;

    /// <summary>Reads the clients once (throws as the store does when PostgreSQL cannot be read).</summary>
    public PostgresClientCache(PostgresClientStore store, TimeProvider time, ILogger<PostgresClientCache> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        Reload("start");
    }

    public string Location => _store.Location;

    /// <summary>Completes when the next reload has swapped the copy (tests wait on it instead of sleeping).</summary>
    internal Task NextReload => Volatile.Read(ref _reloaded).Task;

    /// <summary>How many times the table was read (tests: authenticating must not add to it).</summary>
    internal long Reads => Interlocked.Read(ref _reads);

    public NewApiClient Add(ClientRegistration registration)
    {
        var added = _store.Add(registration);
        ReloadAfterWrite();
        return added;
    }

    public IReadOnlyList<ApiClient> List() => _store.List();

    public ApiClient? Find(string clientId) => _store.Find(clientId);

    public ApiClient? Revoke(string clientId)
    {
        var revoked = _store.Revoke(clientId);
        ReloadAfterWrite();
        return revoked;
    }

    public ApiClient? BindCertificate(string clientId, string? thumbprint)
    {
        var bound = _store.BindCertificate(clientId, thumbprint);
        ReloadAfterWrite();
        return bound;
    }

    /// <summary>From the copy in memory; an unknown client id may reload it once (rate-limited) before the key is refused.</summary>
    public ApiClient? Authenticate(string? key)
    {
        if (!ApiKey.TryParse(key, out var clientId, out var secret))
        {
            return null;
        }

        if (!Volatile.Read(ref _clients).TryGetValue(clientId, out var entry)
            && (!ReloadForUnknownClient() || !Volatile.Read(ref _clients).TryGetValue(clientId, out entry)))
        {
            return null;
        }

        return PostgresClientStore.Verified(entry.Client, entry.Hash, secret);
    }

    /// <summary>Asks for a reload without waiting (the listener's notification callback and reconnects).</summary>
    internal void RequestReload(string reason) => _requests.Writer.TryWrite(reason);

    /// <summary>Runs the asked reloads, and one every <see cref="ReloadInterval"/> when none was asked; the listener runs it.</summary>
    internal async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                var due = Task.Delay(ReloadInterval, _time, wait.Token);
                var asked = _requests.Reader.WaitToReadAsync(wait.Token).AsTask();
                await Task.WhenAny(due, asked).ConfigureAwait(false);
                await wait.CancelAsync().ConfigureAwait(false);
            }

            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            TryReload(_requests.Reader.TryRead(out var reason) ? reason : "periodic");
        }
    }

    // Reads the table and swaps the copy; the caller handles PostgreSQL's errors.
    private void Reload(string reason)
    {
        int count;
        TaskCompletionSource reloaded;
        lock (_reloadGate)
        {
            Interlocked.Increment(ref _reads);
            var rows = _store.ReadAllWithHashes();
            count = rows.Count;
            Volatile.Write(ref _clients, rows.ToFrozenDictionary(r => r.Client.Id, r => new Entry(r.Client, r.Hash), StringComparer.Ordinal));
            reloaded = Interlocked.Exchange(ref _reloaded, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        PostgresLog.ClientsReloaded(_logger, count, reason);
        reloaded.TrySetResult();
    }

    private bool TryReload(string reason)
    {
        try
        {
            Reload(reason);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            // The copy from before stays; the next notification, reconnect or periodic reload tries again.
            PostgresLog.ClientsReloadFailed(_logger, reason, e.GetType().Name, e.Message);
            return false;
        }
    }

    // The write is committed; if reading it back fails, its own notification (or the periodic reload) brings it.
    private void ReloadAfterWrite() => TryReload("written here");

    private bool ReloadForUnknownClient()
    {
        lock (_unknownGate)
        {
            var now = _time.GetTimestamp();
            if (_unknownReloadAt is { } last && _time.GetElapsedTime(last, now) < UnknownClientReloadInterval)
            {
                return false;
            }

            _unknownReloadAt = now;
        }

        return TryReload("unknown client id");
    }

    private sealed record Entry(ApiClient Client, byte[] Hash);
}
