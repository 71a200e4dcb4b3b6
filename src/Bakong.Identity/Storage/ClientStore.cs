using Bakong.OpenApi.Storage;
using LiteDB;

namespace Bakong.Identity.Storage;

/// <summary>
/// The gateway's clients and the SHA-256 of each key's secret, in <c>bakong-clients.db</c> beside the payments. One
/// <see cref="LiteDatabase"/> (direct mode, thread-safe) for the life of the store, behind a <see cref="StoreLock"/>:
/// with the gateway running, <c>bakong clients</c> goes through the admin API instead of opening this file. The
/// database engine's own errors leave it as a <see cref="StoreException"/>.
/// </summary>
public sealed class ClientStore : IClientStore, IStoreSnapshot, IDisposable
{
    private const string CollectionName = "clients";
    private const string Label = "client store";

    // A fresh id colliding with a stored one (60 random bits) is all but impossible; a few tries make it certain.
    private const int IdAttempts = 5;

    private readonly StoreLock _lock;
    private readonly LiteDatabase _database;
    private readonly ILiteCollection<BsonDocument> _clients;
    private readonly TimeProvider _timeProvider;
    private readonly string _path;

    // Every write takes it, and so does a backup's copy: no commit (and so no automatic checkpoint) under the copy.
    private readonly Lock _writeGate = new();

    /// <summary>
    /// Opens (or creates) the store; throws <see cref="StoreLockedException"/> if another process holds it, and
    /// <see cref="StoreException"/> if LiteDB cannot open the file as a database.
    /// </summary>
    public ClientStore(string databasePath, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _path = Path.GetFullPath(databasePath);
        var path = _path;
        (_lock, _database) = StoreFile.Open(_path, Label, () => new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct }));
        _clients = _database.GetCollection(CollectionName);
    }

    /// <summary>The database file.</summary>
    public string DatabasePath => _path;

    string IClientStore.Location => _path;

    /// <summary>Adds a client with a new key; <paramref name="registration"/> must pass its <see cref="ClientRegistration.Check"/>.</summary>
    public NewApiClient Add(ClientRegistration registration)
    {
        var client = NewClient(registration, _timeProvider.GetUtcNow());
        for (var attempt = 1; ; attempt++)
        {
            var id = ApiKey.NewClientId();
            var (key, hash) = ApiKey.New(id);
            client = client with { Id = id };
            var document = ToDocument(client);
            document["hash"] = hash;
            try
            {
                lock (_writeGate)
                {
                    Use(() => _clients.Insert(document));
                }

                return new NewApiClient(client, key);
            }
            catch (StoreException e) when (attempt < IdAttempts && e.InnerException is LiteException { ErrorCode: LiteException.INDEX_DUPLICATE_KEY })
            {
                // Another id.
            }
        }
    }

    /// <summary>Every client, revoked ones too, oldest first.</summary>
    public IReadOnlyList<ApiClient> List() =>
        Use(() => _clients.FindAll().Select(ToClient).OrderBy(c => c.CreatedAt).ThenBy(c => c.Id, StringComparer.Ordinal).ToList());

    /// <summary>The client of that id, revoked or not; null when there is none.</summary>
    public ApiClient? Find(string clientId) =>
        ApiKey.IsClientId(clientId) && Use(() => _clients.FindById(clientId)) is { } document ? ToClient(document) : null;

    /// <summary>
    /// Revokes the client's key: from now on it authenticates nothing. Revoking a revoked client keeps the first time.
    /// Null when there is no such client.
    /// </summary>
    public ApiClient? Revoke(string clientId)
    {
        if (!ApiKey.IsClientId(clientId) || Use(() => _clients.FindById(clientId)) is not { } document)
        {
            return null;
        }

        if (document["revokedAt"].IsNull)
        {
            document["revokedAt"] = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            lock (_writeGate)
            {
                Use(() => _clients.Update(document));
            }
        }

        return ToClient(document);
    }

    /// <summary>
    /// Binds the client to the TLS client certificate of <paramref name="thumbprint"/> (replacing any it was bound to),
    /// or unbinds it with null: from then on its key is accepted only on a connection that presents that certificate.
    /// Null when there is no such client.
    /// </summary>
    /// <exception cref="ArgumentException">A thumbprint that is not one (<see cref="ClientCertificate.IsThumbprint"/>).</exception>
    public ApiClient? BindCertificate(string clientId, string? thumbprint)
    {
        if (thumbprint is not null && !ClientCertificate.IsThumbprint(thumbprint))
        {
            throw new ArgumentException("Not a SHA-256 thumbprint (64 upper-case hex digits).", nameof(thumbprint));
        }

        if (!ApiKey.IsClientId(clientId) || Use(() => _clients.FindById(clientId)) is not { } document)
        {
            return null;
        }

        document["certificate"] = thumbprint is null ? BsonValue.Null : new BsonValue(thumbprint);
        lock (_writeGate)
        {
            Use(() => _clients.Update(document));
        }

        return ToClient(document);
    }

    /// <summary>
    /// The client whose key <paramref name="key"/> is, or null for anything else: no key, a malformed one, an unknown
    /// client, a wrong secret, a revoked client. Which of them is not said: a refusal must not help guess.
    /// </summary>
    public ApiClient? Authenticate(string? key)
    {
        if (!ApiKey.TryParse(key, out var clientId, out var secret) || Use(() => _clients.FindById(clientId)) is not { } document)
        {
            return null;
        }

        if (!document["revokedAt"].IsNull || document["hash"] is not { IsBinary: true } hash || !ApiKey.Matches(secret, hash.AsBinary))
        {
            return null;
        }

        var client = ToClient(document);
        return Enum.IsDefined(client.Role) ? client : null;
    }

    public string StoreName => BackupCatalog.Clients;

    /// <summary>A checkpointed copy of the database, for a backup while the gateway runs.</summary>
    public void CopyTo(string destinationFile)
    {
        lock (_writeGate)
        {
            Use(() =>
            {
                StoreSnapshot.CopyOpen(_database, _path, destinationFile);
                return true;
            });
        }
    }

    public void Dispose()
    {
        _database.Dispose();
        _lock.Dispose();
    }

    /// <summary>
    /// The client a registration adds (id still empty), after checking it: one place for the rule, shared with the
    /// PostgreSQL store.
    /// </summary>
    internal static ApiClient NewClient(ClientRegistration registration, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (registration.Check() is { Count: > 0 } violations)
        {
            throw new ArgumentException($"The client is not valid: {violations[0].Field} {violations[0].Reason}.", nameof(registration));
        }

        return new ApiClient(
            string.Empty,
            registration.Name?.Trim() ?? string.Empty,
            registration.Role,
            registration.TerminalIds.Distinct(StringComparer.Ordinal).ToArray(),
            now,
            RevokedAt: null)
        {
            CertificateThumbprint = registration.CertificateThumbprint,
        };
    }

    private static BsonDocument ToDocument(ApiClient client) => new()
    {
        ["_id"] = client.Id,
        ["name"] = client.Name,
        ["role"] = ClientRoleNames.Name(client.Role),
        ["terminals"] = new BsonArray(client.TerminalIds.Select(t => new BsonValue(t))),
        ["createdAt"] = client.CreatedAt.ToUnixTimeMilliseconds(),
        ["revokedAt"] = client.RevokedAt is { } revoked ? revoked.ToUnixTimeMilliseconds() : BsonValue.Null,
        ["certificate"] = client.CertificateThumbprint is { } thumbprint ? new BsonValue(thumbprint) : BsonValue.Null,
    };

    private static ApiClient ToClient(BsonDocument document)
    {
        // A role this version does not know is no role at all: such a client authenticates nothing.
        var role = ClientRoleNames.TryParse(document["role"].IsString ? document["role"].AsString : null, out var known) ? known : default;
        return new ApiClient(
            document["_id"].AsString,
            document["name"].IsString ? document["name"].AsString : string.Empty,
            role,
            document["terminals"].IsArray ? document["terminals"].AsArray.Where(t => t.IsString).Select(t => t.AsString).ToArray() : [],
            DateTimeOffset.FromUnixTimeMilliseconds(document["createdAt"].AsInt64),
            document["revokedAt"] is { IsInt64: true } or { IsInt32: true } ? DateTimeOffset.FromUnixTimeMilliseconds(document["revokedAt"].AsInt64) : null)
        {
            // Absent in a store written before certificates: not bound. A value that is not a thumbprint binds the
            // client to a certificate nothing can present (refused, never accepted without one).
            CertificateThumbprint = document["certificate"].IsString ? document["certificate"].AsString : null,
        };
    }

    /// <summary>One call to LiteDB, its own errors as the store's.</summary>
    private T Use<T>(Func<T> call) => StoreFile.Use(_path, Label, call);
}
