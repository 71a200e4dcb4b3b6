using Bakong.OpenApi.Client;
using Bakong.OpenApi.Storage;
using LiteDB;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Tokens;

/// <summary>What the store holds for one environment.</summary>
internal sealed record StoredToken(BakongToken? Token, string? Email, DateTimeOffset? SetAt, bool Renewed);

/// <summary>
/// The token of each environment, encrypted (see <see cref="TokenCipher"/>), with its expiry, the registered e-mail
/// and when it was set, in its own LiteDB collection. One <see cref="LiteDatabase"/> (direct mode, thread-safe) per
/// file for the life of the store, behind a <see cref="StoreLock"/>: a <c>bakong token</c> command never writes a file
/// a running gateway has open. The database engine's own errors leave it as a <see cref="StoreException"/>.
/// </summary>
internal sealed class TokenStore : IStoreSnapshot, IDisposable
{
    private const string CollectionName = "bakong_tokens";
    private const string Label = "token store";

    private readonly StoreLock _lock;
    private readonly LiteDatabase _database;
    private readonly ILiteCollection<BsonDocument> _tokens;
    private readonly TokenCipher _cipher;
    private readonly string _path;

    // Every write takes it, and so does a backup's copy: no commit (and so no automatic checkpoint) under the copy.
    private readonly Lock _writeGate = new();

    public TokenStore(IOptions<BakongTokenOptions> options)
        : this(options?.Value.DatabasePath ?? throw new ArgumentNullException(nameof(options)))
    {
    }

    /// <summary>
    /// Opens (or creates) the store; throws <see cref="StoreLockedException"/> if another process holds it, and
    /// <see cref="StoreException"/> if LiteDB cannot open the file as a database.
    /// </summary>
    public TokenStore(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        _path = Path.GetFullPath(databasePath);
        var path = _path;

        // The key file under the lock too: two first openers must not each create a key.
        TokenCipher? cipher = null;
        (_lock, _database) = StoreFile.Open(path, Label, () =>
        {
            cipher = TokenCipher.OpenOrCreate(path + ".key");
            PrivateFiles.Restrict(path + ".key");
            return new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
        });
        _cipher = cipher!;
        _tokens = _database.GetCollection(CollectionName);
    }

    /// <summary>
    /// The stored entry, with <see cref="StoredToken.Token"/> null when none was set or it cannot be decrypted
    /// (key file replaced), in which case <paramref name="unreadable"/> is true.
    /// </summary>
    public StoredToken? Load(BakongEnvironment environment, out bool unreadable)
    {
        unreadable = false;
        var document = Use(() => _tokens.FindById(Key(environment)));
        if (document is null)
        {
            return null;
        }

        BakongToken? token = null;
        if (document["token"] is { IsBinary: true } sealedToken)
        {
            var value = _cipher.Decrypt(sealedToken.AsBinary, Key(environment));
            unreadable = value is null;
            token = value is null ? null : new BakongToken(value, ToTime(document["exp"]));
        }

        return new StoredToken(token, document["email"] is { IsString: true } email ? email.AsString : null, ToTime(document["setAt"]), document["renewed"] is { IsBoolean: true, AsBoolean: true });
    }

    /// <summary>Saves a token (set, verified or renewed); keeps the stored e-mail unless a new one is given.</summary>
    public void SaveToken(BakongEnvironment environment, BakongToken token, string? email, DateTimeOffset setAt, bool renewed)
    {
        ArgumentNullException.ThrowIfNull(token);
        var key = Key(environment);
        lock (_writeGate)
        {
            var document = Use(() => _tokens.FindById(key)) ?? new BsonDocument { ["_id"] = key };
            document["token"] = _cipher.Encrypt(token.Value, key);
            document["exp"] = token.ExpiresAt is { } exp ? exp.ToUnixTimeMilliseconds() : BsonValue.Null;
            document["setAt"] = setAt.ToUnixTimeMilliseconds();
            document["renewed"] = renewed;
            if (!string.IsNullOrWhiteSpace(email))
            {
                document["email"] = email;
            }

            Use(() => _tokens.Upsert(document));
        }
    }

    /// <summary>Remembers the registered e-mail (from <c>bakong token register</c>) without touching the token.</summary>
    public void SaveEmail(BakongEnvironment environment, string email)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        var key = Key(environment);
        lock (_writeGate)
        {
            var document = Use(() => _tokens.FindById(key)) ?? new BsonDocument { ["_id"] = key };
            document["email"] = email;
            Use(() => _tokens.Upsert(document));
        }
    }

    public string StoreName => BackupCatalog.Tokens;

    /// <summary>A checkpointed copy of the database (the key file beside it never changes: the backup copies it as it is).</summary>
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

    /// <summary>One call to LiteDB, its own errors as the store's.</summary>
    private T Use<T>(Func<T> call) => StoreFile.Use(_path, Label, call);

    private static string Key(BakongEnvironment environment) => environment switch
    {
        BakongEnvironment.Sandbox => "sandbox",
        BakongEnvironment.Sit => "sit",
        BakongEnvironment.Production => "production",
        _ => throw new ArgumentOutOfRangeException(nameof(environment), environment, "Unknown Bakong environment."),
    };

    private static DateTimeOffset? ToTime(BsonValue value) =>
        value is { IsInt64: true } or { IsInt32: true } ? DateTimeOffset.FromUnixTimeMilliseconds(value.AsInt64) : null;
}
