using System.Globalization;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Storage;
using Bakong.OpenApi.Tokens;
using Npgsql;

namespace Bakong.Storage.PostgreSql;

/// <summary>
/// The token of each environment in the <c>bakong_tokens</c> table, encrypted exactly as the LiteDB
/// <see cref="TokenStore"/> does: the same <see cref="TokenCipher"/> and key file (<c>Bakong:Tokens:KeyPath</c>, else
/// <c>&lt;data directory&gt;/bakong-tokens.db.key</c>), so the table holds ciphertext only and a database dump alone
/// never gives the token away. Every replica needs the same key file (copy or mount it): a replica with another key
/// reads the token as unreadable, as a replaced key file does on LiteDB.
/// </summary>
/// <remarks>
/// Several gateways: every save sends <c>NOTIFY</c> on <see cref="Channel"/> (the environment's key) in its own
/// statement, and each replica's <see cref="PostgresChangeListener"/> raises <see cref="ChangedElsewhere"/>, so its
/// token manager reads the token again. Renewals take a transaction-scoped advisory lock per environment
/// (<see cref="RenewAloneAsync"/>), so one replica renews and the others find its token.
/// </remarks>
internal sealed class PostgresTokenStore : ITokenStore
{
    /// <summary>The notification channel of token changes; the payload is the environment's key.</summary>
    internal const string Channel = "bakong_token_changes";

    // The advisory lock of a renewal: this class id with the environment's hash. The two-key form is a lock space of
    // its own, apart from the migrations' one-key lock.
    private const int RenewalLockClass = 0x42546B6E;

    private const string NotifySql = "SELECT pg_notify('" + Channel + "', environment) FROM saved";

    private readonly PostgresDatabase _database;
    private readonly string _keyPath;
    private readonly Lock _rotationGate = new();
    private TokenCipher _cipher;

    /// <param name="database">The gateway's database (migrated).</param>
    /// <param name="keyPath">The key file, created (0600) with a fresh key when it does not exist.</param>
    public PostgresTokenStore(PostgresDatabase database, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPath);
        _database = database;
        _keyPath = Path.GetFullPath(keyPath);
        PrivateFiles.CreateDirectoryFor(_keyPath);
        _cipher = TokenCipher.OpenOrCreate(_keyPath);
        PrivateFiles.Restrict(_keyPath);
    }

    public event Action<BakongEnvironment>? ChangedElsewhere;

    /// <remarks>
    /// <c>pg_advisory_xact_lock</c> in a transaction on a pooled connection that stays open while
    /// <paramref name="renew"/> runs (its Bakong call included); the renewed token is saved on another connection and
    /// committed before the lock is released, so the next replica to get the lock reads it.
    /// </remarks>
    public async Task<T> RenewAloneAsync<T>(BakongEnvironment environment, Func<StoredToken?, Task<T>> renew)
    {
        ArgumentNullException.ThrowIfNull(renew);
        var key = TokenStore.Key(environment);
        await using var connection = await _database.DataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@class, hashtext(@environment))", connection, transaction))
        {
            command.Parameters.AddWithValue("class", RenewalLockClass);
            command.Parameters.AddWithValue("environment", key);
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        var result = await renew(Load(environment, out _)).ConfigureAwait(false);
        await transaction.CommitAsync().ConfigureAwait(false);
        return result;
    }

    /// <summary>Raises <see cref="ChangedElsewhere"/> for a notification's payload (an environment's key; others are ignored).</summary>
    internal void OnNotified(string key)
    {
        foreach (var environment in Enum.GetValues<BakongEnvironment>())
        {
            if (string.Equals(TokenStore.Key(environment), key, StringComparison.Ordinal))
            {
                ChangedElsewhere?.Invoke(environment);
            }
        }
    }

    /// <summary>Raises <see cref="ChangedElsewhere"/> for every environment: notifications were lost (a reconnect).</summary>
    internal void OnNotificationsLost()
    {
        foreach (var environment in Enum.GetValues<BakongEnvironment>())
        {
            ChangedElsewhere?.Invoke(environment);
        }
    }

    public StoredToken? Load(BakongEnvironment environment, out bool unreadable)
    {
        unreadable = false;
        var key = TokenStore.Key(environment);
        using var command = _database.DataSource.CreateCommand(
            "SELECT token, next_token, expires_at, email, set_at, renewed FROM bakong_tokens WHERE environment = @environment");
        command.Parameters.AddWithValue("environment", key);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var sealedToken = reader.IsDBNull(0) ? null : (byte[])reader[0];
        var next = reader.IsDBNull(1) ? null : (byte[])reader[1];
        var expiresAt = reader.IsDBNull(2) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(2);
        var email = reader.IsDBNull(3) ? null : reader.GetString(3);
        var setAt = reader.IsDBNull(4) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(4);
        var renewed = reader.GetBoolean(5);

        BakongToken? token = null;
        if (sealedToken is not null || next is not null)
        {
            var value = Open(sealedToken, next, key);
            unreadable = value is null;
            token = value is null ? null : new BakongToken(value, expiresAt);
        }

        return new StoredToken(token, email, setAt, renewed);
    }

    public void SaveToken(BakongEnvironment environment, BakongToken token, string? email, DateTimeOffset setAt, bool renewed)
    {
        ArgumentNullException.ThrowIfNull(token);
        var key = TokenStore.Key(environment);
        using var command = _database.DataSource.CreateCommand("""
            WITH saved AS (
                INSERT INTO bakong_tokens (environment, token, next_token, expires_at, email, set_at, renewed)
                VALUES (@environment, @token, NULL, @expires_at, @email, @set_at, @renewed)
                ON CONFLICT (environment) DO UPDATE SET
                    token = EXCLUDED.token, next_token = NULL, expires_at = EXCLUDED.expires_at,
                    email = COALESCE(EXCLUDED.email, bakong_tokens.email), set_at = EXCLUDED.set_at, renewed = EXCLUDED.renewed
                RETURNING environment)
            """ + NotifySql);
        command.Parameters.AddWithValue("environment", key);
        command.Parameters.AddWithValue("token", _cipher.Encrypt(token.Value, key));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("expires_at", token.ExpiresAt?.ToUniversalTime()) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<string?>("email", string.IsNullOrWhiteSpace(email) ? null : email) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.AddWithValue("set_at", setAt.ToUniversalTime());
        command.Parameters.AddWithValue("renewed", renewed);
        command.ExecuteNonQuery();
    }

    public void SaveEmail(BakongEnvironment environment, string email)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        using var command = _database.DataSource.CreateCommand("""
            WITH saved AS (
                INSERT INTO bakong_tokens (environment, email) VALUES (@environment, @email)
                ON CONFLICT (environment) DO UPDATE SET email = EXCLUDED.email
                RETURNING environment)
            """ + NotifySql);
        command.Parameters.AddWithValue("environment", TokenStore.Key(environment));
        command.Parameters.AddWithValue("email", email);
        command.ExecuteNonQuery();
    }

    /// <summary>A secret is a row of its own, keyed <c>secret:&lt;name&gt;</c> (never an environment's id), sealed like a token.</summary>
    public (string? Value, DateTimeOffset? SetAt)? LoadSecret(string name, out bool unreadable)
    {
        unreadable = false;
        var key = TokenStore.SecretKey(name);
        using var command = _database.DataSource.CreateCommand(
            "SELECT token, next_token, set_at FROM bakong_tokens WHERE environment = @environment AND (token IS NOT NULL OR next_token IS NOT NULL)");
        command.Parameters.AddWithValue("environment", key);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var value = Open(reader.IsDBNull(0) ? null : (byte[])reader[0], reader.IsDBNull(1) ? null : (byte[])reader[1], key);
        unreadable = value is null;
        return (value, reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2));
    }

    public void SaveSecret(string name, string value, DateTimeOffset setAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var key = TokenStore.SecretKey(name);
        using var command = _database.DataSource.CreateCommand("""
            INSERT INTO bakong_tokens (environment, token, next_token, set_at) VALUES (@environment, @token, NULL, @set_at)
            ON CONFLICT (environment) DO UPDATE SET token = EXCLUDED.token, next_token = NULL, set_at = EXCLUDED.set_at
            """);
        command.Parameters.AddWithValue("environment", key);
        command.Parameters.AddWithValue("token", _cipher.Encrypt(value, key));
        command.Parameters.AddWithValue("set_at", setAt.ToUniversalTime());
        command.ExecuteNonQuery();
    }

    /// <remarks>
    /// The steps of <see cref="TokenStore.RotateKey"/>, each committed before the next: (1) the new key in
    /// <c>&lt;key&gt;.new</c>; (2) each token also sealed under it in <c>next_token</c>; (3) the old key copied aside and
    /// the new one renamed over the key file; (4) <c>next_token</c> becomes <c>token</c>. <see cref="Load"/> falls back
    /// to <c>next_token</c>, so a crash anywhere leaves every token readable with the key file in place. Run it with
    /// every replica stopped, then give them the new key file.
    /// </remarks>
    public string RotateKey(DateTimeOffset now, Action<KeyRotationStep>? stopAfter = null)
    {
        lock (_rotationGate)
        {
            var values = new List<(string Environment, string Value)>();
            using (var read = _database.DataSource.CreateCommand(
                "SELECT environment, token, next_token FROM bakong_tokens WHERE token IS NOT NULL OR next_token IS NOT NULL"))
            using (var reader = read.ExecuteReader())
            {
                while (reader.Read())
                {
                    var environment = reader.GetString(0);
                    var value = Open(reader.IsDBNull(1) ? null : (byte[])reader[1], reader.IsDBNull(2) ? null : (byte[])reader[2], environment)
                        ?? throw new InvalidOperationException(
                            $"The stored {environment} token cannot be decrypted with the key file '{_keyPath}' (was it replaced?): restore the key, or delete it and set the token again; nothing was rotated.");
                    values.Add((environment, value));
                }
            }

            var newKeyPath = _keyPath + ".new";
            File.Delete(newKeyPath);
            var next = TokenCipher.CreateAt(newKeyPath);
            stopAfter?.Invoke(KeyRotationStep.NewKeyWritten);

            using (var connection = _database.DataSource.OpenConnection())
            using (var transaction = connection.BeginTransaction())
            {
                foreach (var (environment, value) in values)
                {
                    using var seal = new NpgsqlCommand("UPDATE bakong_tokens SET next_token = @next WHERE environment = @environment", connection, transaction);
                    seal.Parameters.AddWithValue("next", next.Encrypt(value, environment));
                    seal.Parameters.AddWithValue("environment", environment);
                    seal.ExecuteNonQuery();
                }

                transaction.Commit();
            }

            stopAfter?.Invoke(KeyRotationStep.TokensSealedUnderBoth);

            var oldKeyPath = _keyPath + ".old-" + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            _cipher.SaveCopy(oldKeyPath);
            File.Move(newKeyPath, _keyPath, overwrite: true);
            _cipher = next;
            stopAfter?.Invoke(KeyRotationStep.KeyReplaced);

            using (var promote = _database.DataSource.CreateCommand(
                "UPDATE bakong_tokens SET token = next_token, next_token = NULL WHERE next_token IS NOT NULL"))
            {
                promote.ExecuteNonQuery();
            }

            return oldKeyPath;
        }
    }

    /// <summary>The token from <c>token</c>, else (mid-rotation) from <c>next_token</c>; null if neither opens with the key file.</summary>
    private string? Open(byte[]? sealedToken, byte[]? next, string environment) =>
        (sealedToken is null ? null : _cipher.Decrypt(sealedToken, environment))
        ?? (next is null ? null : _cipher.Decrypt(next, environment));
}
