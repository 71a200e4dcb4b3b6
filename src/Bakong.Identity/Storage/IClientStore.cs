namespace Bakong.Identity.Storage;

/// <summary>
/// The API clients: the LiteDB <see cref="ClientStore"/> of the data directory (the default, and what
/// <c>bakong clients</c> opens offline), or PostgreSQL's <c>api_clients</c> table when <c>Storage:Provider</c> is
/// <c>PostgreSql</c>. Either keeps only the SHA-256 hash of each key's secret.
/// </summary>
public interface IClientStore
{
    /// <summary>Where the clients are, for logs and messages: a file path, or the database table.</summary>
    string Location { get; }

    /// <summary>Adds a client with a fresh id and key; the key is returned once and only its hash is kept.</summary>
    /// <exception cref="ArgumentException">The registration is not valid (the first violation named).</exception>
    NewApiClient Add(ClientRegistration registration);

    /// <summary>Every client, revoked ones too, oldest first.</summary>
    IReadOnlyList<ApiClient> List();

    /// <summary>The client, or null when there is none with that id.</summary>
    ApiClient? Find(string clientId);

    /// <summary>Revokes the client (idempotent: the first revocation time stays); null when there is none.</summary>
    ApiClient? Revoke(string clientId);

    /// <summary>Binds the client to a certificate's SHA-256 thumbprint, or unbinds it (null); null when there is no such client.</summary>
    /// <exception cref="ArgumentException">Not a thumbprint.</exception>
    ApiClient? BindCertificate(string clientId, string? thumbprint);

    /// <summary>The active client whose key this is, or null (unknown, wrong secret, revoked, or a role this version does not know).</summary>
    ApiClient? Authenticate(string? key);
}
