using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Bakong.Payments;
using Bakong.Payments.Configuration;
using Bakong.Payments.Polling;
using Bakong.Payments.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Bakong.Storage.PostgreSql;

/// <summary>
/// The payment store on PostgreSQL (<c>Storage:Provider</c> <c>PostgreSql</c>): the <see cref="IPaymentStore"/>
/// contract the LiteDB store keeps, held by the same contract tests. Schema: <c>Migrations/</c>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Writes.</b> Each write is one transaction on a pooled connection: an insert (<c>ON CONFLICT (request_id) DO
/// NOTHING</c>: concurrent duplicates wait for the first and find it), a save (<c>UPDATE … WHERE version =</c> the
/// version read: 0 rows is a conflict or an unknown payment) with its new outbox rows in the same transaction, an
/// outbox mark. <c>synchronous_commit</c> (PostgreSQL's default, <c>on</c>) makes a commit durable before it is
/// answered, and PostgreSQL flushes the commits of concurrent transactions together (group commit), so the
/// LiteDB store's single writer is not needed here. A write, once begun, is not cancelled by the caller's token (as
/// with the LiteDB store's queue): a create the client gave up on still ends as one stored payment or none.
/// </para>
/// <para>
/// <b>Outbox.</b> Delivery state is the store's: a save inserts the outbox entries it does not have and never
/// touches one it has (<c>ON CONFLICT (event_id) DO NOTHING</c>), so it cannot undo a delivery mark.
/// </para>
/// <para>
/// <b>Counts.</b> <see cref="CountByStateAsync"/> counts on the state index in one statement (one snapshot): a kept
/// counts row, as the LiteDB store has, would be one row every create and transition updates, serialising all
/// their commits on its lock. It is read once, at start. The pending count per terminal, read by every create's
/// insert (<c>InsertUnderCapSql</c>), is kept, striped over up to 32 rows per terminal so that it does not serialise
/// them (<c>CountPendingSql</c>, migration 0050).
/// </para>
/// <para>
/// <b>Backups</b> are PostgreSQL's (<c>pg_dump</c>, base backups): this store is no <c>IStoreSnapshot</c>.
/// </para>
/// </remarks>
internal sealed partial class PostgresPaymentStore : IPaymentStore, IDisposable
{
    private const string DueStates = "('Pending', 'Expired', 'Cancelled')";

    private const string InsertSql = "INSERT INTO payments (" + PaymentRow.InsertColumns + ") VALUES (" + PaymentRow.InsertValues
        + ") ON CONFLICT (request_id) DO NOTHING";

    /// <summary>
    /// The insert under the terminal's pending cap: the row is made only while the terminal's kept count (the
    /// <c>terminal_pending</c> slots) is below <c>@max_pending</c>, in the same statement, so a create needs no read
    /// ahead of it. The count is the statement's snapshot: creates of one terminal committing at the same moment can
    /// each see the others' payments not yet counted, and pass the cap by as many as commit at once.
    /// </summary>
    private const string InsertUnderCapSql = "INSERT INTO payments (" + PaymentRow.InsertColumns + ") SELECT " + PaymentRow.InsertValues
        + " WHERE (SELECT coalesce(sum(pending), 0) FROM terminal_pending WHERE terminal_id = @terminal_id) < @max_pending"
        + " ON CONFLICT (request_id) DO NOTHING";

    private const string SaveSql = "UPDATE payments SET " + PaymentRow.MutableAssignments + " WHERE id = @id AND version = @read_version";

    private const string InsertOutboxSql = "INSERT INTO webhook_outbox (" + PaymentRow.OutboxColumns + ") VALUES ("
        + PaymentRow.OutboxValues + ") ON CONFLICT (event_id) DO NOTHING";

    /// <summary>The insert's outbox rows: written only when the payment is there, i.e. the insert made it.</summary>
    private const string InsertOutboxIfInsertedSql = "INSERT INTO webhook_outbox (" + PaymentRow.OutboxColumns + ") SELECT "
        + PaymentRow.OutboxValues + " WHERE EXISTS (SELECT 1 FROM payments WHERE id = @payment_id) ON CONFLICT (event_id) DO NOTHING";

    // The poller's pass, shared by every replica on the database: every due payment that no other replica holds is
    // ranked within its terminal and taken round by round (each terminal's earliest, then each one's second, ...), so
    // each terminal gets an equal share and what one leaves goes to others. The picked rows are locked (SKIP LOCKED:
    // another replica picking at the same moment takes others, never waits) and leased to this replica until
    // @lease_until, so no other replica checks them in this round. A replica keeps its own payments round after
    // round (its lease is renewed with each pick); one that died leaves them to whoever picks after the lease ends.
    // The lease is re-checked on the locked row: a row another replica leased meanwhile is dropped, not taken twice.
    private const string LeaseFree = "(lease_until IS NULL OR lease_until <= @now OR lease_owner = @owner)";

    private const string DueSql = """
        WITH picked AS (
            SELECT id, COALESCE(lease_owner = @owner, false) AS was_own FROM payments
            WHERE id IN (SELECT d.id
                         FROM (SELECT id, next_check, row_number() OVER (PARTITION BY terminal_id ORDER BY next_check, id) AS rank
                               FROM payments
                               WHERE next_check IS NOT NULL AND next_check <= @now AND state IN
        """ + DueStates + " AND " + LeaseFree + """
        ) d
                         WHERE d.rank <= @limit
                         ORDER BY d.rank, d.next_check, d.id
                         LIMIT @limit)
              AND next_check IS NOT NULL AND next_check <= @now AND state IN
        """ + DueStates + " AND " + LeaseFree + """

            FOR UPDATE SKIP LOCKED),
        leased AS (
            UPDATE payments SET lease_owner = @owner, lease_until = @lease_until
            FROM picked WHERE payments.id = picked.id
            RETURNING payments.*)
        SELECT
        """ + " " + PaymentRow.Columns + """
        , k.was_own
         FROM leased p JOIN picked k ON k.id = p.id
         ORDER BY row_number() OVER (PARTITION BY p.terminal_id ORDER BY p.next_check, p.id), p.next_check, p.id
        """;

    // Whether a replica with a lower id holds live leases on payments the poller checks (GetDueAsync's rule): the
    // payments_due index's rows, the pending and reconciling payments, filtered.
    private const string LowerReplicaLeasesSql = """
        SELECT EXISTS (SELECT 1 FROM payments
                       WHERE next_check IS NOT NULL AND state IN
        """ + DueStates + """

                         AND lease_owner COLLATE "C" < @owner AND lease_until > @now)
        """;

    private const string ReleaseLeasesSql =
        "UPDATE payments SET lease_owner = NULL, lease_until = NULL WHERE id = ANY(@ids) AND lease_owner = @owner";

    // The count is kept (migration 0050): triggers on payments add 1 to one of the terminal's 32 slot rows in
    // terminal_pending when a payment becomes pending and take it off when it leaves, in the same transaction. Striped,
    // so a terminal's concurrent creates wait for each other's commits only when their ids pick the same slot (one row
    // per terminal would make them all queue on it); the slot is the payment's, so its leave undoes its enter. A create
    // reads at most 32 rows of the primary key. Only at the cap is the earliest expiry read (the refused create's
    // Retry-After), among the terminal's oldest pending payments, at most atMost of them (payments_list_terminal_state):
    // the CASE evaluates that subquery only then (an InitPlan runs when its value is first needed).
    private const string CountPendingSql = """
        SELECT LEAST(k.pending, @at_most)::integer,
               CASE WHEN k.pending >= @at_most THEN
                   (SELECT min(s.expire_time)
                    FROM (SELECT expire_time FROM payments WHERE terminal_id = @terminal AND state = 'Pending'
                          ORDER BY create_time, id LIMIT @at_most) s)
               END
        FROM (SELECT coalesce(sum(pending), 0) AS pending FROM terminal_pending WHERE terminal_id = @terminal) k
        """;

    // The webhook dispatcher's pass, shared like the due pick: the due entries nobody else holds are locked (SKIP
    // LOCKED: a replica claiming at the same moment takes others) and claimed by this replica until @claim_until, so
    // each is sent by one replica; the claim is re-checked on the locked row. A mark or a recorded failure ends the
    // claim; a replica that died leaves its claims to run out. The payments come with the ids of the entries this
    // pick claimed (the last column: Read does not read it), since a payment's other due entries may be another's.
    private const string OutboxClaimFree = "(o.claimed_until IS NULL OR o.claimed_until <= @now OR o.claimed_by = @owner)";

    private const string OutboxDueSql = """
        WITH claimed AS (
            UPDATE webhook_outbox SET claimed_by = @owner, claimed_until = @claim_until
            WHERE event_id IN (SELECT o.event_id FROM webhook_outbox o
                               WHERE o.due_time <= @now AND
        """ + " " + OutboxClaimFree + """

                               ORDER BY o.due_time LIMIT @limit
                               FOR UPDATE SKIP LOCKED)
            RETURNING event_id, payment_id)
        SELECT
        """ + " " + PaymentRow.Columns + """
        , ARRAY(SELECT c.event_id FROM claimed c WHERE c.payment_id = p.id) AS claimed_events
         FROM payments p
         WHERE p.id IN (SELECT payment_id FROM claimed)
        """;

    // The earliest due entry this replica may claim (the due index, skipping the few that others hold), or the
    // earliest end of another's claim on a due entry (the claims index, migration 0030): whichever comes first.
    private const string OutboxNextSql = """
        SELECT LEAST(
            (SELECT o.due_time FROM webhook_outbox o WHERE o.due_time IS NOT NULL AND
        """ + " " + OutboxClaimFree + """
         ORDER BY o.due_time LIMIT 1),
            (SELECT min(GREATEST(o.due_time, o.claimed_until)) FROM webhook_outbox o
             WHERE o.claimed_until > @now AND o.due_time IS NOT NULL AND o.claimed_by <> @owner))
        """;

    // Both return whether the entry exists; the update changes it only while it is undelivered, and ends its claim.
    private const string MarkDeliveredSql = """
        WITH changed AS (UPDATE webhook_outbox SET delivered_time = @time, attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL
                         WHERE payment_id = @payment_id AND event_id = @event_id AND delivered_time IS NULL)
        SELECT EXISTS (SELECT 1 FROM webhook_outbox WHERE payment_id = @payment_id AND event_id = @event_id)
        """;

    private const string RecordFailureSql = """
        WITH changed AS (UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_time = @time, last_error = @failure,
                                                   claimed_by = NULL, claimed_until = NULL
                         WHERE payment_id = @payment_id AND event_id = @event_id AND delivered_time IS NULL)
        SELECT EXISTS (SELECT 1 FROM webhook_outbox WHERE payment_id = @payment_id AND event_id = @event_id)
        """;

    // Sent in the writing transaction, so PostgreSQL delivers it at commit and never for a rolled-back change.
    private const string NotifySql = "SELECT pg_notify('" + PostgresChangeListener.Channel + "', @payload)";

    /// <summary>The insert's notification: sent only when the payment with <c>@id</c> is there, i.e. the insert made it.</summary>
    private const string NotifyIfInsertedSql = NotifySql + " WHERE EXISTS (SELECT 1 FROM payments WHERE id = @id)";

    private readonly PostgresDatabase _database;
    private readonly ILogger _logger;

    /// <param name="database">The pool and schema.</param>
    /// <param name="logger">Where the store logs; none when null.</param>
    /// <param name="dueLease">How long a due pick leases its payments (<c>Storage:DueLease</c>); the default when null.</param>
    /// <param name="dueBatch">The poller's list call size (<see cref="PaymentPollerOptions.BatchSize"/>): see <see cref="GetDueAsync"/>.</param>
    public PostgresPaymentStore(
        PostgresDatabase database, ILogger? logger = null, TimeSpan? dueLease = null, int dueBatch = PaymentPollerOptions.MaxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(dueLease ?? PaymentStorageOptions.DefaultDueLease, TimeSpan.Zero, nameof(dueLease));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dueBatch);
        _database = database;
        _logger = logger ?? NullLogger.Instance;
        DueLease = dueLease ?? PaymentStorageOptions.DefaultDueLease;
        DueBatch = dueBatch;
    }

    /// <summary>How many due payments the poller asks Bakong about in one list call.</summary>
    internal int DueBatch { get; }

    private NpgsqlDataSource DataSource => _database.DataSource;

    /// <summary>
    /// How long a due pick leases its payments to this replica (<see cref="GetDueAsync"/>; <c>Storage:DueLease</c>,
    /// 30 s unless set): a replica that stops without releasing them (killed) leaves them to the others this long
    /// after its last pick. Longer than a round (checks of one batch take seconds), short against a payment's minutes.
    /// Measured on the callers' clocks: replicas whose clocks differ by more than a few seconds shorten or lengthen it
    /// by that much.
    /// </summary>
    internal TimeSpan DueLease { get; }

    /// <summary>
    /// How long <see cref="GetPendingOutboxAsync"/> claims the entries it returns for this replica: longer than a
    /// dispatcher pass takes even when its receiver times out (50 entries, 4 at a time, 10 s each: about 2 minutes), so
    /// a slow receiver does not get an event twice; a replica that died leaves its claims to others this long after.
    /// </summary>
    internal static readonly TimeSpan OutboxClaim = TimeSpan.FromMinutes(5);

    /// <summary>
    /// This store's name in its change notifications and due leases, so its own listener skips what this process already published
    /// (a fresh one per start: a restarted gateway is another replica).
    /// </summary>
    internal string ReplicaId { get; } = Guid.NewGuid().ToString("N");

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

        var snapshot = payment.ToSnapshot();

        // One round trip: a batch without a transaction of its own is one implicit transaction, committed (WAL flushed)
        // before the server answers and rolled back whole if a command fails. The outbox rows and the notification
        // are there only when this insert made the payment: a replay of the request id inserts nothing, and its new
        // id then matches no row. An id or md5 taken without the request id is not an idempotent replay: the unique
        // constraint throws and nothing of the batch stays.
        await using (var batch = DataSource.CreateBatch())
        {
            var insert = new NpgsqlBatchCommand(maxPendingForTerminal is null ? InsertSql : InsertUnderCapSql);
            PaymentRow.AddParameters(insert.Parameters, snapshot);
            if (maxPendingForTerminal is { } cap)
            {
                insert.Parameters.Add(new NpgsqlParameter("max_pending", NpgsqlDbType.Integer) { Value = cap });
            }

            batch.BatchCommands.Add(insert);
            AddOutbox(batch, snapshot, ifInserted: true);
            AddNotify(batch, snapshot, ifInserted: true);
            await batch.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            if (insert.RecordsAffected == 1)
            {
                payment.AcceptChanges();
                return new InsertResult(payment, Inserted: true);
            }
        }

        // The request id was taken, by a transaction this one waited for: it is committed, so this read finds it.
        // Otherwise the cap stopped the insert.
        if (await GetByRequestIdAsync(payment.RequestId, CancellationToken.None).ConfigureAwait(false) is { } existing)
        {
            return new InsertResult(existing, Inserted: false);
        }

        return maxPendingForTerminal is { } atMost
            ? InsertResult.RefusedAt(payment, await CountPendingAsync(payment.TerminalId, atMost, CancellationToken.None).ConfigureAwait(false))
            : throw new InvalidOperationException("A payment with this request id was stored and is gone: payments are never deleted.");
    }

    public Task<Payment?> GetAsync(string paymentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paymentId);
        return ReadOneAsync("id", paymentId, cancellationToken);
    }

    public Task<Payment?> GetByRequestIdAsync(string requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        return ReadOneAsync("request_id", requestId, cancellationToken);
    }

    public Task<Payment?> GetByMd5Async(string md5, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(md5);
        return ReadOneAsync("md5", md5, cancellationToken);
    }

    public async Task<SaveResult> SaveAsync(Payment payment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        cancellationToken.ThrowIfCancellationRequested();
        await using var connection = await DataSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        if (!payment.HasUnsavedChanges)
        {
            return await VersionCheckAsync(connection, payment).ConfigureAwait(false);
        }

        var snapshot = payment.ToSnapshot();
        await using (var transaction = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false))
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            var save = new NpgsqlBatchCommand(SaveSql);
            PaymentRow.AddMutableParameters(save.Parameters, snapshot);
            save.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Text) { Value = snapshot.Id });
            save.Parameters.Add(new NpgsqlParameter("read_version", NpgsqlDbType.Bigint) { Value = payment.PersistedVersion });
            batch.BatchCommands.Add(save);
            AddOutbox(batch, snapshot);

            // Only changes that append events are told (created, transitions, reviews), as PaymentWatchWakeup
            // publishes in-process: check bookkeeping would be one notification per pending payment per poll.
            if (payment.UnsavedEvents.Any())
            {
                AddNotify(batch, snapshot);
            }
            await batch.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            if (save.RecordsAffected == 1)
            {
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                payment.AcceptChanges();
                return SaveResult.Saved;
            }

            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return await VersionCheckAsync(connection, payment).ConfigureAwait(false);
    }

    /// <remarks>
    /// <para>
    /// Bakong calls per round across replicas: each replica asks in list calls of <see cref="DueBatch"/>, so two
    /// replicas holding 20 due payments each would make two calls where one would do. The rule: a pick keeps its full
    /// batches, and its remainder (a partial batch) only when no replica with a lower id holds live leases; otherwise it
    /// gives the remainder up (releases its leases, in the same transaction) and the lowest live replica takes it with
    /// its own in its next pick. So only one replica asks with a partial batch, and the calls per round stay at
    /// ⌈due / batch⌉ however the due payments are spread, once each replica has picked once. A given-up payment is
    /// checked one pass (a tick) later; a dead replica's leases are not live, so nobody gives anything up to it.
    /// </para>
    /// </remarks>
    public async Task<IReadOnlyList<Payment>> GetDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var picked = new List<Payment>();
        var wasOwn = new List<bool>();
        await using (var command = new NpgsqlCommand(DueSql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.Bigint) { Value = now.UtcTicks });
            command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Integer) { Value = limit });
            command.Parameters.Add(new NpgsqlParameter("owner", NpgsqlDbType.Text) { Value = ReplicaId });
            command.Parameters.Add(new NpgsqlParameter("lease_until", NpgsqlDbType.Bigint) { Value = (now + DueLease).UtcTicks });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var wasOwnColumn = reader.GetOrdinal("was_own");
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                picked.Add(PaymentRow.Read(reader));
                wasOwn.Add(reader.GetBoolean(wasOwnColumn));
            }
        }

        var remainder = picked.Count % DueBatch;
        if (remainder > 0)
        {
            await using var lower = new NpgsqlCommand(LowerReplicaLeasesSql, connection, transaction);
            lower.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.Bigint) { Value = now.UtcTicks });
            lower.Parameters.Add(new NpgsqlParameter("owner", NpgsqlDbType.Text) { Value = ReplicaId });
            if ((bool)(await lower.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                // What this replica did not hold before goes first, so a replica keeps its own round after round
                // (no payment moves back and forth); then the last of the pick, ordered by each terminal's rank.
                var given = Enumerable.Range(0, picked.Count).Reverse()
                    .OrderBy(i => wasOwn[i])
                    .Take(remainder)
                    .Select(i => picked[i])
                    .ToList();
                picked.RemoveAll(given.Contains);
                await using var release = new NpgsqlCommand(ReleaseLeasesSql, connection, transaction);
                release.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = given.Select(p => p.Id).ToArray() });
                release.Parameters.Add(new NpgsqlParameter("owner", NpgsqlDbType.Text) { Value = ReplicaId });
                await release.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                PostgresLog.PartialBatchGivenUp(_logger, remainder);
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return picked;
    }

    public async Task<PendingCount> CountPendingAsync(string terminalId, int atMost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terminalId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(atMost);
        await using var command = DataSource.CreateCommand(CountPendingSql);
        command.Parameters.Add(new NpgsqlParameter("terminal", NpgsqlDbType.Text) { Value = terminalId });
        command.Parameters.Add(new NpgsqlParameter("at_most", NpgsqlDbType.Integer) { Value = atMost });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new PendingCount(reader.GetInt32(0), reader.IsDBNull(1) ? null : new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero));
    }

    public async Task<IReadOnlyDictionary<PaymentState, long>> CountByStateAsync(CancellationToken cancellationToken)
    {
        var counts = Enum.GetValues<PaymentState>().ToDictionary(s => s, _ => 0L);
        await using var command = DataSource.CreateCommand("SELECT state, count(*) FROM payments GROUP BY state");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts[Enum.Parse<PaymentState>(reader.GetString(0))] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <remarks>
    /// One SQL text per combination of filters (at most 32, each prepared once), never <c>@x IS NULL OR …</c>: a
    /// prepared statement's generic plan could not then pick the index that serves the filter and the order.
    /// </remarks>
    public async Task<PaymentPage> ListAsync(PaymentQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, PaymentLimits.MaxPageSize);
        var after = query.PageToken is { } token ? PageKey.Decode(token) : (PageKey?)null;

        var conditions = new List<string>(5);
        await using var command = DataSource.CreateCommand();
        if (query.TerminalId is { } terminal)
        {
            conditions.Add("p.terminal_id = @terminal");
            command.Parameters.Add(new NpgsqlParameter("terminal", NpgsqlDbType.Text) { Value = terminal });
        }

        if (query.State is { } state)
        {
            conditions.Add("p.state = @state");
            command.Parameters.Add(new NpgsqlParameter("state", NpgsqlDbType.Text) { Value = state.ToString() });
        }

        if (query.CreatedFrom is { } from)
        {
            conditions.Add("p.create_time >= @from");
            command.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.Bigint) { Value = from.UtcTicks });
        }

        if (query.CreatedTo is { } to)
        {
            conditions.Add("p.create_time < @to");
            command.Parameters.Add(new NpgsqlParameter("to", NpgsqlDbType.Bigint) { Value = to.UtcTicks });
        }

        if (after is { } key)
        {
            conditions.Add("(p.create_time, p.id) < (@after_time, @after_id)");
            command.Parameters.Add(new NpgsqlParameter("after_time", NpgsqlDbType.Bigint) { Value = key.Ticks });
            command.Parameters.Add(new NpgsqlParameter("after_id", NpgsqlDbType.Text) { Value = key.Id });
        }

        command.CommandText = "SELECT " + PaymentRow.Columns + " FROM payments p"
            + (conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions))
            + " ORDER BY p.create_time DESC, p.id DESC LIMIT @limit";
        command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Integer) { Value = query.PageSize + 1 });
        return PageOf(await ReadAllAsync(command, cancellationToken).ConfigureAwait(false), query.PageSize);
    }

    /// <summary>A page of <paramref name="pageSize"/> from rows read with one more: the extra row says a next page exists.</summary>
    private static PaymentPage PageOf(List<Payment> payments, int pageSize)
    {
        string? next = null;
        if (payments.Count > pageSize)
        {
            payments.RemoveAt(payments.Count - 1);
            next = new PageKey(payments[^1].CreateTime.UtcTicks, payments[^1].Id).Encode();
        }

        return new PaymentPage(payments, next);
    }

    /// <remarks>One range of the partial index <c>payments_exceptions</c> (migration 0020), oldest first.</remarks>
    public async Task<PaymentPage> ListExceptionsAsync(ExceptionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, PaymentLimits.MaxPageSize);
        var after = query.PageToken is { } token ? PageKey.Decode(token) : (PageKey?)null;
        await using var command = DataSource.CreateCommand("SELECT " + PaymentRow.Columns + """
             FROM payments p
            WHERE p.resolution IS NULL AND (p.review IS NOT NULL OR p.state = 'PaidLate')
              AND (p.create_time, p.id) > (@after_time, @after_id)
            ORDER BY p.create_time, p.id LIMIT @limit
            """);
        command.Parameters.Add(new NpgsqlParameter("after_time", NpgsqlDbType.Bigint) { Value = after?.Ticks ?? long.MinValue });
        command.Parameters.Add(new NpgsqlParameter("after_id", NpgsqlDbType.Text) { Value = after?.Id ?? "" });
        command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Integer) { Value = query.PageSize + 1 });
        return PageOf(await ReadAllAsync(command, cancellationToken).ConfigureAwait(false), query.PageSize);
    }

    /// <remarks>Claims what it returns for <see cref="OutboxClaim"/> (see <c>OutboxDueSql</c>).</remarks>
    public async Task<IReadOnlyList<PendingOutboxEntry>> GetPendingOutboxAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var command = DataSource.CreateCommand(OutboxDueSql);
        command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.Bigint) { Value = now.UtcTicks });
        command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Integer) { Value = limit });
        command.Parameters.Add(new NpgsqlParameter("owner", NpgsqlDbType.Text) { Value = ReplicaId });
        var claimUntil = now > DateTimeOffset.MaxValue - OutboxClaim ? DateTimeOffset.MaxValue : now + OutboxClaim;
        command.Parameters.Add(new NpgsqlParameter("claim_until", NpgsqlDbType.Bigint) { Value = claimUntil.UtcTicks });
        var result = new List<PendingOutboxEntry>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            var claimedColumn = reader.GetOrdinal("claimed_events");
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var payment = PaymentRow.Read(reader);
                var claimed = reader.GetFieldValue<string[]>(claimedColumn);
                foreach (var entry in payment.Outbox)
                {
                    if (claimed.Contains(entry.EventId, StringComparer.Ordinal))
                    {
                        result.Add(new PendingOutboxEntry(payment, entry));
                    }
                }
            }
        }

        result.Sort(static (a, b) => a.Entry.DueTime!.Value.CompareTo(b.Entry.DueTime!.Value));
        return result.Count > limit ? result[..limit] : result;
    }

    public async Task<DateTimeOffset?> GetNextOutboxDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(OutboxNextSql);
        command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.Bigint) { Value = now.UtcTicks });
        command.Parameters.Add(new NpgsqlParameter("owner", NpgsqlDbType.Text) { Value = ReplicaId });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long ticks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : null;
    }

    public Task<bool> MarkOutboxDeliveredAsync(string paymentId, string eventId, DateTimeOffset deliveredTime, CancellationToken cancellationToken) =>
        ChangeOutboxAsync(MarkDeliveredSql, paymentId, eventId, deliveredTime, failure: null, cancellationToken);

    public Task<bool> RecordOutboxFailureAsync(
        string paymentId, string eventId, DateTimeOffset nextAttemptTime, string? failure, CancellationToken cancellationToken) =>
        ChangeOutboxAsync(RecordFailureSql, paymentId, eventId, nextAttemptTime, failure, cancellationToken);

    public void Dispose() => _database.Dispose();

    private async Task<bool> ChangeOutboxAsync(
        string sql, string paymentId, string eventId, DateTimeOffset time, string? failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paymentId);
        ArgumentNullException.ThrowIfNull(eventId);
        cancellationToken.ThrowIfCancellationRequested();
        await using var command = DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter("payment_id", NpgsqlDbType.Text) { Value = paymentId });
        command.Parameters.Add(new NpgsqlParameter("event_id", NpgsqlDbType.Text) { Value = eventId });
        command.Parameters.Add(new NpgsqlParameter("time", NpgsqlDbType.Bigint) { Value = time.UtcTicks });
        if (ReferenceEquals(sql, RecordFailureSql))
        {
            command.Parameters.Add(new NpgsqlParameter("failure", NpgsqlDbType.Text) { Value = (object?)failure ?? DBNull.Value });
        }

        return (bool)(await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false))!;
    }

    private async Task<SaveResult> VersionCheckAsync(NpgsqlConnection connection, Payment payment)
    {
        await using var command = new NpgsqlCommand("SELECT version FROM payments WHERE id = @id", connection);
        command.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Text) { Value = payment.Id });
        if (await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false) is not long stored)
        {
            return SaveResult.NotFound;
        }

        if (stored != payment.PersistedVersion)
        {
            PostgresLog.SaveConflict(_logger, payment.Id, payment.PersistedVersion, stored);
            return SaveResult.Conflict;
        }

        return SaveResult.Saved;
    }

    private void AddNotify(NpgsqlBatch batch, PaymentSnapshot snapshot, bool ifInserted = false)
    {
        var notify = new NpgsqlBatchCommand(ifInserted ? NotifyIfInsertedSql : NotifySql);
        notify.Parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Text)
        {
            Value = PostgresChangeListener.FormatPayload(ReplicaId, snapshot.Id, snapshot.Parameters.TerminalId, snapshot.Version),
        });
        if (ifInserted)
        {
            notify.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Text) { Value = snapshot.Id });
        }

        batch.BatchCommands.Add(notify);
    }

    private static void AddOutbox(NpgsqlBatch batch, PaymentSnapshot snapshot, bool ifInserted = false)
    {
        for (var i = 0; i < snapshot.Outbox.Count; i++)
        {
            var command = new NpgsqlBatchCommand(ifInserted ? InsertOutboxIfInsertedSql : InsertOutboxSql);
            PaymentRow.AddOutboxParameters(command.Parameters, snapshot.Id, i, snapshot.Outbox[i]);
            batch.BatchCommands.Add(command);
        }
    }

    private async Task<Payment?> ReadOneAsync(string column, string value, CancellationToken cancellationToken)
    {
        // The column is one of three constants, never input: the value is the parameter.
        await using var command = DataSource.CreateCommand("SELECT " + PaymentRow.Columns + " FROM payments p WHERE p." + column + " = @value");
        command.Parameters.Add(new NpgsqlParameter("value", NpgsqlDbType.Text) { Value = value });
        var payments = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        return payments.Count == 0 ? null : payments[0];
    }

    private static async Task<List<Payment>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var payments = new List<Payment>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            payments.Add(PaymentRow.Read(reader));
        }

        return payments;
    }

    /// <summary>
    /// A page token: the last payment's creation time and id, in the LiteDB store's format (19 digits of ticks, ':',
    /// the id, base64url), so a token means the same position whichever store issued it.
    /// </summary>
    private readonly record struct PageKey(long Ticks, string Id)
    {
        public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            Ticks.ToString("D19", CultureInfo.InvariantCulture) + ":" + Id));

        public static PageKey Decode(string token)
        {
            try
            {
                var key = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
                if (key.Length > 20 && key[19] == ':' && long.TryParse(key.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
                {
                    return new PageKey(ticks, key[20..]);
                }
            }
            catch (FormatException)
            {
            }

            throw new ArgumentException("Not a page token this store issued.", nameof(token));
        }
    }
}
