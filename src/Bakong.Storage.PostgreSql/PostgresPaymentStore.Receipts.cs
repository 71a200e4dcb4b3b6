using Bakong.Payments;
using Bakong.Payments.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Bakong.Storage.PostgreSql;

/// <summary>
/// <see cref="IReceiptStore"/> on PostgreSQL (migration 0002): the payments by their transaction's hash, and the
/// <c>receipt_verifications</c> table.
/// </summary>
internal sealed partial class PostgresPaymentStore : IReceiptStore
{
    private const string FindByHashSql = "SELECT " + PaymentRow.Columns
        + " FROM payments p WHERE p.bakong_transaction IS NOT NULL AND lower(p.bakong_transaction ->> 'hash') = @hash LIMIT 1";

    // One hash at a time (a transaction-scoped advisory lock in a key space of its own, 2, apart from the migrations'
    // bigint key): of two concurrent first verifications of one hash, the second waits and sees the first.
    private const string RecordVerificationSql = """
        SELECT pg_advisory_xact_lock(2, hashtext(@hash));
        SELECT hash, verify_time, client_id, terminal_id FROM receipt_verifications WHERE hash = @hash ORDER BY id LIMIT 1;
        INSERT INTO receipt_verifications (hash, verify_time, client_id, terminal_id) VALUES (@hash, @verify_time, @client_id, @terminal_id);
        """;

    public async Task<Payment?> FindByTransactionHashAsync(string hash, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        await using var command = DataSource.CreateCommand(FindByHashSql);
        command.Parameters.Add(new NpgsqlParameter("hash", NpgsqlDbType.Text) { Value = hash.ToLowerInvariant() });
        var payments = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        return payments.Count == 0 ? null : payments[0];
    }

    public async Task<ReceiptVerificationRecord?> RecordVerificationAsync(ReceiptVerificationRecord verification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verification);
        cancellationToken.ThrowIfCancellationRequested();
        await using var connection = await DataSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        ReceiptVerificationRecord? first = null;
        await using (var command = new NpgsqlCommand(RecordVerificationSql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter("hash", NpgsqlDbType.Text) { Value = verification.Hash.ToLowerInvariant() });
            command.Parameters.Add(new NpgsqlParameter("verify_time", NpgsqlDbType.Bigint) { Value = verification.VerifyTime.UtcTicks });
            command.Parameters.Add(new NpgsqlParameter("client_id", NpgsqlDbType.Text) { Value = verification.ClientId });
            command.Parameters.Add(new NpgsqlParameter("terminal_id", NpgsqlDbType.Text) { Value = verification.TerminalId });
            await using var reader = await command.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
            await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
            if (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                first = new ReceiptVerificationRecord(
                    reader.GetString(0), new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero), reader.GetString(2), reader.GetString(3));
            }
        }

        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return first;
    }
}
