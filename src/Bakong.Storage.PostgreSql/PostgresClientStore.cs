using Bakong.Identity;
using Bakong.Identity.Storage;
using Npgsql;

namespace Bakong.Storage.PostgreSql;

/// <summary>
/// The API clients in the <c>api_clients</c> table, with the rules of the LiteDB <see cref="ClientStore"/> (the same
/// registration check, key format and hash). Every change (add, revoke, bind) sends <c>NOTIFY</c> on <see cref="Channel"/>
/// in the statement that makes it, so in its transaction: <c>bakong clients</c> writing the table directly is heard by
/// every running replica as a change through one replica's admin API is.
/// </summary>
/// <remarks>
/// The gateway does not authenticate with this class's <see cref="Authenticate"/> (a query per call): it answers from
/// the rows in memory (<c>PostgresClientCache</c>), which reloads them on these notifications. Compiled into
/// <c>bakong</c> too (its <c>clients</c> commands), which never authenticates.
/// </remarks>
internal sealed class PostgresClientStore(PostgresDatabase database, TimeProvider timeProvider) : IClientStore
{
    /// <summary>The notification channel of client changes; the payload is the client's id (public, never the key or its hash).</summary>
    internal const string Channel = "bakong_client_changes";

    // As ClientStore: a fresh id colliding with a stored one (60 random bits) is all but impossible; a few tries make it certain.
    private const int IdAttempts = 5;

    private const string Columns = "id, name, role, terminals, created_at, revoked_at, certificate";

    // Sent in the writing statement (a data-modifying WITH), so in its transaction: heard at commit, never for a rollback.
    private const string NotifySql = "SELECT id, pg_notify('" + Channel + "', id) FROM added";
    private const string NotifyReturningSql = "SELECT " + Columns + ", pg_notify('" + Channel + "', id) FROM changed";

    public string Location => "PostgreSQL table api_clients";

    public NewApiClient Add(ClientRegistration registration)
    {
        var client = ClientStore.NewClient(registration, DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds()));
        for (var attempt = 1; ; attempt++)
        {
            var id = ApiKey.NewClientId();
            var (key, hash) = ApiKey.New(id);
            client = client with { Id = id };
            using var command = database.DataSource.CreateCommand(
                $"WITH added AS (INSERT INTO api_clients ({Columns}, hash) VALUES (@id, @name, @role, @terminals, @created_at, NULL, @certificate, @hash) ON CONFLICT DO NOTHING RETURNING id) {NotifySql}");
            command.Parameters.AddWithValue("id", id);
            command.Parameters.AddWithValue("name", client.Name);
            command.Parameters.AddWithValue("role", ClientRoleNames.Name(client.Role));
            command.Parameters.AddWithValue("terminals", client.TerminalIds.ToArray());
            command.Parameters.AddWithValue("created_at", client.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.Add(new NpgsqlParameter<string?>("certificate", client.CertificateThumbprint) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.AddWithValue("hash", hash);
            if (command.ExecuteScalar() is string)
            {
                return new NewApiClient(client, key);
            }

            if (attempt >= IdAttempts)
            {
                throw new InvalidOperationException($"No free client id after {IdAttempts} attempts.");
            }
        }
    }

    public IReadOnlyList<ApiClient> List()
    {
        using var command = database.DataSource.CreateCommand($"SELECT {Columns} FROM api_clients ORDER BY created_at, id");
        using var reader = command.ExecuteReader();
        var clients = new List<ApiClient>();
        while (reader.Read())
        {
            clients.Add(Read(reader));
        }

        return clients;
    }

    public ApiClient? Find(string clientId) =>
        ApiKey.IsClientId(clientId) ? One($"SELECT {Columns} FROM api_clients WHERE id = @id", clientId) : null;

    public ApiClient? Revoke(string clientId)
    {
        if (!ApiKey.IsClientId(clientId))
        {
            return null;
        }

        // The first revocation time stays: a second revoke changes nothing.
        using var command = database.DataSource.CreateCommand(
            $"WITH changed AS (UPDATE api_clients SET revoked_at = COALESCE(revoked_at, @now) WHERE id = @id RETURNING {Columns}) {NotifyReturningSql}");
        command.Parameters.AddWithValue("id", clientId);
        command.Parameters.AddWithValue("now", timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        return ReadOne(command);
    }

    public ApiClient? BindCertificate(string clientId, string? thumbprint)
    {
        if (thumbprint is not null && !ClientCertificate.IsThumbprint(thumbprint))
        {
            throw new ArgumentException("Not a SHA-256 thumbprint (64 upper-case hex digits).", nameof(thumbprint));
        }

        if (!ApiKey.IsClientId(clientId))
        {
            return null;
        }

        using var command = database.DataSource.CreateCommand(
            $"WITH changed AS (UPDATE api_clients SET certificate = @certificate WHERE id = @id RETURNING {Columns}) {NotifyReturningSql}");
        command.Parameters.AddWithValue("id", clientId);
        command.Parameters.Add(new NpgsqlParameter<string?>("certificate", thumbprint) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return ReadOne(command);
    }

    public ApiClient? Authenticate(string? key)
    {
        if (!ApiKey.TryParse(key, out var clientId, out var secret))
        {
            return null;
        }

        using var command = database.DataSource.CreateCommand($"SELECT {Columns}, hash FROM api_clients WHERE id = @id");
        command.Parameters.AddWithValue("id", clientId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Verified(Read(reader), (byte[])reader[7], secret) : null;
    }

    /// <summary>Every client with the hash of its key's secret, for the gateway's copy in memory.</summary>
    internal List<(ApiClient Client, byte[] Hash)> ReadAllWithHashes()
    {
        using var command = database.DataSource.CreateCommand($"SELECT {Columns}, hash FROM api_clients");
        using var reader = command.ExecuteReader();
        var clients = new List<(ApiClient, byte[])>();
        while (reader.Read())
        {
            clients.Add((Read(reader), (byte[])reader[7]));
        }

        return clients;
    }

    /// <summary>
    /// The rule of a key's check, as <see cref="ClientStore.Authenticate"/>'s: the client when it is not revoked, the
    /// secret hashes to the stored hash (compared in constant time) and its role is one this version knows; else null.
    /// </summary>
    internal static ApiClient? Verified(ApiClient client, byte[] hash, string secret) =>
        client.RevokedAt is null && ApiKey.Matches(secret, hash) && Enum.IsDefined(client.Role) ? client : null;

    private ApiClient? One(string sql, string id)
    {
        using var command = database.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("id", id);
        return ReadOne(command);
    }

    private static ApiClient? ReadOne(NpgsqlCommand command)
    {
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    private static ApiClient Read(NpgsqlDataReader reader)
    {
        // As ClientStore: a role this version does not know is no role at all, and authenticates nothing.
        var role = ClientRoleNames.TryParse(reader.GetString(2), out var known) ? known : default;
        return new ApiClient(
            reader.GetString(0),
            reader.GetString(1),
            role,
            reader.GetFieldValue<string[]>(3),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
            reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)))
        {
            CertificateThumbprint = reader.IsDBNull(6) ? null : reader.GetString(6),
        };
    }
}
