using System.Globalization;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Storage;
using LiteDB;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Tokens;

/// <summary>What the store holds for one environment.</summary>
internal sealed record StoredToken(BakongToken? Token, string? Email, DateTimeOffset? SetAt, bool Renewed);

/// <summary>Where <see cref="TokenStore.RotateKey"/> has got to, for tests that stop it there as a crash would.</summary>
internal enum KeyRotationStep
{
    /// <summary>The new key is in <c>&lt;key&gt;.new</c>; nothing else changed.</summary>
    NewKeyWritten,

    /// <summary>Each token is also stored under the new key; the key file is still the old one.</summary>
    TokensSealedUnderBoth,

    /// <summary>The key file is the new key; the tokens under the old key are not removed yet.</summary>
    KeyReplaced,
}

/// <summary>
/// The token of each environment, encrypted (see <see cref="TokenCipher"/>), with its expiry, the registered e-mail
/// and when it was set, in its own LiteDB collection. One <see cref="LiteDatabase"/> (direct mode, thread-safe) per
/// file for the life of the store, behind a <see cref="StoreLock"/>: a <c>bakong token</c> command never writes a file
/// a running gateway has open. The database engine's own errors leave it as a <see cref="StoreException"/>.
/// </summary>
internal sealed class TokenStore : ITokenStore, IStoreSnapshot, IDisposable
{
    private const string CollectionName = "bakong_tokens";

    // The token sealed under the key a rotation is moving to (see RotateKey): read when the key file no longer opens
    // "token", removed once the rotation (or any later save) has finished.
    private const string NextField = "next";
    private const string Label = "token store";

    private readonly StoreLock _lock;
    private readonly LiteDatabase _database;
    private readonly ILiteCollection<BsonDocument> _tokens;
    private readonly string _path;
    private readonly string _keyPath;
    private TokenCipher _cipher;

    // Every write takes it, and so does a backup's copy: no commit (and so no automatic checkpoint) under the copy.
    private readonly Lock _writeGate = new();

    public TokenStore(IOptions<BakongTokenOptions> options)
        : this(options?.Value.DatabasePath ?? throw new ArgumentNullException(nameof(options)), options.Value.KeyPath)
    {
    }

    /// <summary>
    /// Opens (or creates) the store; throws <see cref="StoreLockedException"/> if another process holds it, and
    /// <see cref="StoreException"/> if LiteDB cannot open the file as a database.
    /// </summary>
    /// <param name="databasePath">The database file.</param>
    /// <param name="keyPath">The key file; null or empty: <c>&lt;databasePath&gt;.key</c> (<see cref="BakongTokenOptions.KeyPath"/>).</param>
    public TokenStore(string databasePath, string? keyPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        _path = Path.GetFullPath(databasePath);
        _keyPath = BakongTokenOptions.KeyFor(_path, keyPath);
        var path = _path;
        var key = _keyPath;

        // The key file under the lock too: two first openers must not each create a key.
        TokenCipher? cipher = null;
        (_lock, _database) = StoreFile.Open(path, Label, () =>
        {
            PrivateFiles.CreateDirectoryFor(key);
            cipher = TokenCipher.OpenOrCreate(key);
            PrivateFiles.Restrict(key);
            return new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
        });
        _cipher = cipher!;
        _tokens = _database.GetCollection(CollectionName);
    }

    /// <remarks>The file belongs to one process (<see cref="StoreLock"/>): nobody else changes it.</remarks>
    public event Action<BakongEnvironment>? ChangedElsewhere
    {
        add { }
        remove { }
    }

    public Task<T> RenewAloneAsync<T>(BakongEnvironment environment, Func<StoredToken?, Task<T>> renew)
    {
        ArgumentNullException.ThrowIfNull(renew);
        return renew(Load(environment, out _));
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
        if (IsSealed(document))
        {
            var value = Open(document);
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
            document.Remove(NextField);
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

    /// <summary>
    /// Another secret kept here (<see cref="StoredSecrets"/>): its value sealed like a token, under the same key and with
    /// its id (<c>secret:&lt;name&gt;</c>) bound as associated data, so <see cref="RotateKey"/> re-encrypts it and a backup
    /// of this file carries it. Null when none was set; <paramref name="unreadable"/> when the key file no longer opens it.
    /// </summary>
    public (string? Value, DateTimeOffset? SetAt)? LoadSecret(string name, out bool unreadable)
    {
        unreadable = false;
        var document = Use(() => _tokens.FindById(SecretKey(name)));
        if (document is null || !IsSealed(document))
        {
            return null;
        }

        var value = Open(document);
        unreadable = value is null;
        return (value, ToTime(document["setAt"]));
    }

    /// <summary>Saves (or replaces) a secret; see <see cref="LoadSecret"/>.</summary>
    public void SaveSecret(string name, string value, DateTimeOffset setAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var key = SecretKey(name);
        lock (_writeGate)
        {
            var document = new BsonDocument
            {
                ["_id"] = key,
                ["token"] = _cipher.Encrypt(value, key),
                ["setAt"] = setAt.ToUnixTimeMilliseconds(),
            };
            Use(() => _tokens.Upsert(document));
        }
    }

    /// <summary>
    /// <c>bakong token rotate-key</c>: a new random key, every stored token re-encrypted under it, the new key file in
    /// place and the old key kept as <c>&lt;key&gt;.old-&lt;UTC time&gt;</c> (returned). Refused, with nothing changed,
    /// when a stored token cannot be decrypted with the current key (<see cref="InvalidOperationException"/>).
    /// </summary>
    /// <remarks>
    /// Ordered so that a crash at any point leaves every token readable with whatever key file is in place: (1) the new
    /// key is written to <c>&lt;key&gt;.new</c> and flushed; (2) each token is also sealed under it (field
    /// <c>next</c>) and the database checkpointed, the old ciphertext kept; (3) the old key is copied aside and the new
    /// file renamed over the key file (one atomic rename); (4) <c>next</c> becomes the token. <see cref="Load"/> reads
    /// <c>next</c> when the key file no longer opens <c>token</c>: between (3) and (4) that is the new key; before (3)
    /// <c>token</c> still opens with the old one. A <c>.new</c> left by a stopped rotation is never the live key and is
    /// replaced by the next rotation.
    /// </remarks>
    /// <param name="now">Names the old key's copy.</param>
    /// <param name="stopAfter">Tests only: called after each step (throwing there is a crash at that point).</param>
    public string RotateKey(DateTimeOffset now, Action<KeyRotationStep>? stopAfter = null)
    {
        lock (_writeGate)
        {
            var documents = Use(() => _tokens.FindAll().Where(IsSealed).ToList());
            var values = new List<(BsonDocument Document, string Value)>(documents.Count);
            foreach (var document in documents)
            {
                var value = Open(document)
                    ?? throw new InvalidOperationException(
                        $"The stored {document["_id"].AsString} token cannot be decrypted with the key file '{_keyPath}' (was it replaced?): restore the key, or delete it and set the token again; nothing was rotated.");
                values.Add((document, value));
            }

            var newKeyPath = _keyPath + ".new";
            File.Delete(newKeyPath);
            var next = TokenCipher.CreateAt(newKeyPath);
            stopAfter?.Invoke(KeyRotationStep.NewKeyWritten);

            foreach (var (document, value) in values)
            {
                document[NextField] = next.Encrypt(value, document["_id"].AsString);
            }

            Save(documents);
            stopAfter?.Invoke(KeyRotationStep.TokensSealedUnderBoth);

            var oldKeyPath = _keyPath + ".old-" + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            _cipher.SaveCopy(oldKeyPath);
            File.Move(newKeyPath, _keyPath, overwrite: true);
            _cipher = next;
            stopAfter?.Invoke(KeyRotationStep.KeyReplaced);

            foreach (var document in documents)
            {
                document["token"] = document[NextField];
                document.Remove(NextField);
            }

            Save(documents);
            return oldKeyPath;
        }
    }

    public string StoreName => BackupCatalog.Tokens;

    /// <summary>
    /// A checkpointed copy of the database. The key file is not part of it: a backup copies <c>&lt;db&gt;.key</c> as it
    /// is when it is beside the database (only <c>rotate-key</c> changes it, with the gateway stopped), and a key kept
    /// elsewhere (<see cref="BakongTokenOptions.KeyPath"/>) stays out of backups on purpose.
    /// </summary>
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

    private static bool IsSealed(BsonDocument document) => document["token"].IsBinary || document[NextField].IsBinary;

    /// <summary>The token, from <c>token</c> or (mid-rotation, see <see cref="RotateKey"/>) <c>next</c>; null if neither opens with the key file.</summary>
    private string? Open(BsonDocument document)
    {
        var id = document["_id"].AsString;
        var value = document["token"] is { IsBinary: true } sealedToken ? _cipher.Decrypt(sealedToken.AsBinary, id) : null;
        return value ?? (document[NextField] is { IsBinary: true } next ? _cipher.Decrypt(next.AsBinary, id) : null);
    }

    /// <summary>Writes the documents (one LiteDB transaction) and checkpoints: a rotation's next step relies on them being in the data file.</summary>
    private void Save(List<BsonDocument> documents) => Use(() =>
    {
        _tokens.Update(documents);
        _database.Checkpoint();
        return true;
    });

    /// <summary>One call to LiteDB, its own errors as the store's.</summary>
    private T Use<T>(Func<T> call) => StoreFile.Use(_path, Label, call);

    /// <summary>The environment's row key, also the ciphertext's associated data (shared with the PostgreSQL store).</summary>
    internal static string Key(BakongEnvironment environment) => environment switch
    {
        BakongEnvironment.Sandbox => "sandbox",
        BakongEnvironment.Sit => "sit",
        BakongEnvironment.Production => "production",
        _ => throw new ArgumentOutOfRangeException(nameof(environment), environment, "Unknown Bakong environment."),
    };

    // Never an environment's id ("sandbox", "sit", "production"): those have no colon.
    internal static string SecretKey(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return "secret:" + name;
    }

    private static DateTimeOffset? ToTime(BsonValue value) =>
        value is { IsInt64: true } or { IsInt32: true } ? DateTimeOffset.FromUnixTimeMilliseconds(value.AsInt64) : null;
}
