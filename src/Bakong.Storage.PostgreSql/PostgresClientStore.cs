using Bakong.Identity;
using Bakong.Identity.Storage;
using Npgsql;

namespace Bakong.Storage.PostgreSql;

/// <summary>
/// The API clients in the <c>api_clients</c> table, with the rules of the LiteDB <see cref="ClientStore"/> (the same
/// registration check, key format and hash): every replica authenticates every client, and a client added, revoked or
/// bound on one replica is so on all of them at their next call.
/// </summary>
internal sealed class PostgresClientStore(PostgresDatabase database, TimeProvider timeProvider) : IClientStore
{
    // As ClientStore: a fresh id colliding with a stored one (60 random bits) is all but impossible; a few tries make it certain.
    private const int IdAttempts = 5;

    private const string Columns = "id, name, role, terminals, created_at, revoked_at, certificate";

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
                $"INSERT INTO api_clients ({Columns}, hash) VALUES (@id, @name, @role, @terminals, @created_at, NULL, @certificate, @hash) ON CONFLICT DO NOTHING");
            command.Parameters.AddWithValue("id", id);
            command.Parameters.AddWithValue("name", client.Name);
            command.Parameters.AddWithValue("role", ClientRoleNames.Name(client.Role));
            command.Parameters.AddWithValue("terminals", client.TerminalIds.ToArray());
            command.Parameters.AddWithValue("created_at", client.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.Add(new NpgsqlParameter<string?>("certificate", client.CertificateThumbprint) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.AddWithValue("hash", hash);
            if (command.ExecuteNonQuery() == 1)
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
            $"UPDATE api_clients SET revoked_at = COALESCE(revoked_at, @now) WHERE id = @id RETURNING {Columns}");
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

        using var command = database.DataSource.CreateCommand($"UPDATE api_clients SET certificate = @certificate WHERE id = @id RETURNING {Columns}");
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
        if (!reader.Read())
        {
            return null;
        }

        var client = Read(reader);
        if (client.RevokedAt is not null || !ApiKey.Matches(secret, (byte[])reader[7]))
        {
            return null;
        }

        return Enum.IsDefined(client.Role) ? client : null;
    }

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
