using System.Globalization;
using System.Threading.Channels;
using Bakong.Payments;
using Bakong.Payments.Watching;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bakong.Storage.PostgreSql;

/// <summary>
/// Brings the changes other replicas save on the same database to this replica's watch streams: every write that
/// appends events sends <c>NOTIFY</c> on <see cref="Channel"/> in its own transaction (<see cref="PostgresPaymentStore"/>),
/// and this service <c>LISTEN</c>s on one dedicated connection and, for a payment watched here, reads it and publishes
/// it to the <see cref="PaymentWatchHub"/>, as a local save would. No polling: PostgreSQL pushes each commit's
/// notifications to the listening connections.
/// </summary>
/// <remarks>
/// <para>
/// The same connection also <c>LISTEN</c>s on <see cref="PostgresTokenStore.Channel"/> when the Bakong token is on this
/// database, and tells the token store, whose manager then reads the token another replica saved (after a reconnect,
/// it is read again whatever changed), and on <see cref="PostgresClientStore.Channel"/> when the API clients are on
/// this database: each client change, and each (re)connect, asks the <see cref="PostgresClientCache"/> to read the
/// clients again (it also runs its periodic read here).
/// </para>
/// <para>
/// A notification is <c>replica:version:payment id:terminal id</c>. This replica's own are skipped (its write path
/// already published them); one for a payment nobody watches here and of a terminal no <see cref="IReplicaChangeSink"/>
/// (a display) follows here costs nothing but the parse. A payment that is read goes to the watch hub and the
/// followers of its terminal. The payment is read rather
/// than carried (a notification is at most 8000 bytes, and the read is what the watch shows anyway); a read that
/// finds an older version than notified cannot happen (the notification is sent at commit), a newer one is shown.
/// </para>
/// <para>
/// Notifications sent while the connection is down are lost (PostgreSQL keeps them only for listening sessions), so
/// after every (re)connect each payment watched here is read again and published: the mailbox drops what a stream has
/// already shown. After a failure, each <see cref="IReplicaChangeSink"/> is also told (<see cref="IReplicaChangeSink.ChangesMissed"/>),
/// once listening again: the terminal streams end and start over from the current state, the displays read their
/// payments again. Reconnects back off from 1 s doubling to 30 s; the watch streams stay open meanwhile.
/// </para>
/// </remarks>
internal sealed class PostgresChangeListener : BackgroundService
{
    /// <summary>The notification channel of payment changes.</summary>
    internal const string Channel = "bakong_payment_changes";

    private static readonly TimeSpan s_firstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_lastRetry = TimeSpan.FromSeconds(30);

    private readonly PostgresDatabase _database;
    private readonly PostgresPaymentStore _store;
    private readonly PaymentWatchHub? _hub;
    private readonly PostgresTokenStore? _tokens;
    private readonly PostgresClientCache? _clients;
    private readonly IReplicaChangeSink[] _followers;
    private readonly string[] _channels;
    private readonly string _channelList;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // Filled by the connection's notification callback (which must not block), drained by one reader. Its size is
    // bounded by what the database commits, not by client input.
    private readonly Channel<(string PaymentId, long Version)> _changes =
        System.Threading.Channels.Channel.CreateUnbounded<(string, long)>(new UnboundedChannelOptions { SingleReader = true });

    public PostgresChangeListener(
        PostgresDatabase database,
        PostgresPaymentStore store,
        PaymentWatchHub? hub,
        PostgresTokenStore? tokens,
        PostgresClientCache? clients,
        IEnumerable<IReplicaChangeSink> followers,
        TimeProvider time,
        ILogger<PostgresChangeListener> logger)
    {
        _database = database;
        _store = store;
        _hub = hub;
        _tokens = tokens;
        _clients = clients;
        _time = time;
        _logger = logger;
        _followers = [.. followers];
        _channels =
        [
            .. FollowsPayments ? [Channel] : Array.Empty<string>(),
            .. tokens is null ? [] : new[] { PostgresTokenStore.Channel },
            .. clients is null ? [] : new[] { PostgresClientStore.Channel },
        ];
        _channelList = string.Join(", ", _channels);
    }

    /// <summary>Connected and listening now (for health and tests).</summary>
    internal bool Listening => Volatile.Read(ref _listening);

    private bool _listening;

    // The payment id is generated (PaymentIds: no ':'); the terminal id, which may hold ':', is last.
    internal static string FormatPayload(string replicaId, string paymentId, string terminalId, long version) =>
        replicaId + ":" + version.ToString(CultureInfo.InvariantCulture) + ":" + paymentId + ":" + terminalId;

    internal static bool TryParsePayload(string payload, out string replicaId, out string paymentId, out string terminalId, out long version)
    {
        replicaId = paymentId = terminalId = "";
        version = 0;
        var first = payload.IndexOf(':', StringComparison.Ordinal);
        var second = first < 0 ? -1 : payload.IndexOf(':', first + 1);
        var third = second < 0 ? -1 : payload.IndexOf(':', second + 1);
        if (third < 0
            || !long.TryParse(payload.AsSpan(first + 1, second - first - 1), NumberStyles.None, CultureInfo.InvariantCulture, out version))
        {
            return false;
        }

        replicaId = payload[..first];
        paymentId = payload[(second + 1)..third];
        terminalId = payload[(third + 1)..];
        return paymentId.Length > 0;
    }

    // Payment changes matter with a watch hub or a display here; token and client changes with them on this database.
    private bool FollowsPayments => _hub is not null || _followers.Length > 0;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new List<Task>();
        if (_channels.Length > 0)
        {
            loops.Add(ListenAsync(stoppingToken));
        }

        if (FollowsPayments)
        {
            loops.Add(PublishAsync(stoppingToken));
        }

        if (_clients is not null)
        {
            loops.Add(_clients.RunAsync(stoppingToken));
        }

        return Task.WhenAll(loops);
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var retry = s_firstRetry;
        var missed = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _database.ListenerDataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand(string.Concat(_channels.Select(c => "LISTEN " + c + ";")), connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }

                Volatile.Write(ref _listening, true);
                PostgresLog.Listening(_logger, _channelList);
                retry = s_firstRetry;

                // What changed while nobody listened (or before the first LISTEN) is read again.
                foreach (var id in _hub?.WatchedPaymentIds() ?? [])
                {
                    _changes.Writer.TryWrite((id, 0));
                }

                _tokens?.OnNotificationsLost();
                _clients?.RequestReload("listening again");

                // After a failure, what the followers (terminal streams, displays) were not told is theirs to catch up,
                // now that nothing more can be missed.
                if (missed)
                {
                    missed = false;
                    foreach (var follower in _followers)
                    {
                        follower.ChangesMissed();
                    }
                }

                while (true)
                {
                    await connection.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                Volatile.Write(ref _listening, false);
                missed = true;
                PostgresLog.ListenerLost(_logger, retry.TotalSeconds, e.GetType().Name, e.Message);
            }

            try
            {
                await Task.Delay(retry, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, s_lastRetry.Ticks));
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == PostgresTokenStore.Channel)
        {
            _tokens?.OnNotified(e.Payload);
            return;
        }

        if (e.Channel == PostgresClientStore.Channel)
        {
            // Everything is read again (a few hundred rows at most), so the payload (a client id) is not needed.
            _clients?.RequestReload("changed elsewhere");
            return;
        }

        if (TryParsePayload(e.Payload, out var replica, out var paymentId, out var terminalId, out var version)
            && replica != _store.ReplicaId
            && (_hub?.IsWatched(paymentId) == true || Array.Exists(_followers, f => f.Follows(terminalId))))
        {
            _changes.Writer.TryWrite((paymentId, version));
        }
    }

    private async Task PublishAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (paymentId, _) in _changes.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    if (await _store.GetAsync(paymentId, stoppingToken).ConfigureAwait(false) is { } payment)
                    {
                        _hub?.Publish(payment);
                        foreach (var follower in _followers)
                        {
                            if (follower.Follows(payment.TerminalId))
                            {
                                follower.SavedElsewhere(payment);
                            }
                        }
                    }
                }
                catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
                {
                    // The listener's reconnect reads every watched payment again: nothing is lost for good.
                    PostgresLog.ChangeReadFailed(_logger, paymentId, e.GetType().Name, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
