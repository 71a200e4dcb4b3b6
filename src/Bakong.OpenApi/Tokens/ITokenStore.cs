using Bakong.OpenApi.Client;

namespace Bakong.OpenApi.Tokens;

/// <summary>
/// Where the token of each environment is kept, encrypted under the key file (<see cref="TokenCipher"/>): the LiteDB
/// <see cref="TokenStore"/> of the data directory (the default, and what the CLI opens offline), or PostgreSQL's
/// <c>bakong_tokens</c> table when <c>Storage:Provider</c> is <c>PostgreSql</c>. Either way only ciphertext is stored.
/// </summary>
internal interface ITokenStore
{
    /// <summary>
    /// The stored entry, with <see cref="StoredToken.Token"/> null when none was set or it cannot be decrypted (key file
    /// replaced), in which case <paramref name="unreadable"/> is true.
    /// </summary>
    StoredToken? Load(BakongEnvironment environment, out bool unreadable);

    /// <summary>Saves a token (set, verified or renewed); keeps the stored e-mail unless a new one is given.</summary>
    void SaveToken(BakongEnvironment environment, BakongToken token, string? email, DateTimeOffset setAt, bool renewed);

    /// <summary>Remembers the registered e-mail without touching the token.</summary>
    void SaveEmail(BakongEnvironment environment, string email);

    /// <summary>
    /// Raised when another gateway sharing this store saved a token or e-mail of the environment (PostgreSQL: its
    /// notification, passed on by this gateway's listener; also after the listener reconnects, since notifications sent
    /// meanwhile are lost), so a cached token is read again. A store of one process (LiteDB) never raises it.
    /// </summary>
    event Action<BakongEnvironment>? ChangedElsewhere;

    /// <summary>
    /// Runs <paramref name="renew"/> while no other gateway sharing this store renews the environment's token
    /// (PostgreSQL: an advisory lock, held until it returns; LiteDB: one process per file, the manager's own single
    /// flight is enough), handing it the entry stored once it may go: a token another gateway saved while this one
    /// waited shows there, and is taken instead of renewing again.
    /// </summary>
    Task<T> RenewAloneAsync<T>(BakongEnvironment environment, Func<StoredToken?, Task<T>> renew);

    /// <summary>
    /// A new key file, every stored token re-encrypted under it, the old key kept as <c>&lt;key&gt;.old-&lt;UTC time&gt;</c>
    /// (returned); ordered so that a crash at any step leaves every token readable with the key file in place.
    /// </summary>
    string RotateKey(DateTimeOffset now, Action<KeyRotationStep>? stopAfter = null);

    /// <summary>
    /// Another secret kept beside the tokens (<see cref="StoredSecrets"/>), sealed like a token under the same key with its
    /// id (<c>secret:&lt;name&gt;</c>) as associated data, so <see cref="RotateKey"/> re-encrypts it. Null when none was
    /// set; <paramref name="unreadable"/> when the key file no longer opens it.
    /// </summary>
    (string? Value, DateTimeOffset? SetAt)? LoadSecret(string name, out bool unreadable);

    /// <summary>Saves (or replaces) a secret; see <see cref="LoadSecret"/>.</summary>
    void SaveSecret(string name, string value, DateTimeOffset setAt);
}
