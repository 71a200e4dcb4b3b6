namespace Bakong.OpenApi.Storage;

/// <summary>
/// <c>manifest.json</c>, the first entry of a backup: what made it, for which environment and merchant account, when,
/// and every file with its size and SHA-256, so a restore checks the whole backup before it touches anything.
/// </summary>
/// <param name="Format">The backup format (<see cref="BackupArchive.FormatVersion"/>); a restore refuses one it does not know.</param>
/// <param name="MadeBy">"gateway" (taken through a running gateway) or "bakong" (from the data directory of a stopped one).</param>
/// <param name="Version">The version of the program that made it.</param>
/// <param name="Environment">The Bakong environment of the data; null when the directory never recorded one.</param>
/// <param name="MerchantAccount">The receiving merchant account of the data; null as <paramref name="Environment"/>.</param>
/// <param name="CreateTime">When the copy was taken (UTC).</param>
/// <param name="Stores">Each store that was there, with its files.</param>
/// <param name="PaymentsFile">
/// The payment file's name in the data directory that was backed up (in the backup it is always <c>bakong.db</c>); null
/// for <c>bakong.db</c>. A restore into a directory that records no name of its own writes the payments under it.
/// </param>
public sealed record BackupManifest(
    int Format,
    string MadeBy,
    string Version,
    string? Environment,
    string? MerchantAccount,
    DateTimeOffset CreateTime,
    IReadOnlyList<BackupStoreEntry> Stores,
    string? PaymentsFile = null)
{
    /// <summary>The identity the data belongs to, when the backup records one.</summary>
    public GatewayIdentity? Identity => Environment is { Length: > 0 } environment && MerchantAccount is { } account
        ? new GatewayIdentity(environment, account, PaymentsFile)
        : null;

    /// <summary>The documents of the store's main collection (payments for payments, clients for clients); 0 when it is absent.</summary>
    public long Documents(string storeName, string collection) =>
        Stores.FirstOrDefault(s => s.Name == storeName)?.Documents.GetValueOrDefault(collection) ?? 0;
}

/// <summary>One store in a backup.</summary>
/// <param name="Name">Its name in <see cref="BackupCatalog"/>.</param>
/// <param name="Documents">Documents per collection of its database, as copied.</param>
/// <param name="Files">Its database file first, then its companions.</param>
public sealed record BackupStoreEntry(string Name, IReadOnlyDictionary<string, long> Documents, IReadOnlyList<BackupFileEntry> Files);

/// <summary>One file in a backup.</summary>
/// <param name="Name">Its name in the data directory and in the backup.</param>
/// <param name="Bytes">Its length.</param>
/// <param name="Sha256">The SHA-256 of its content, lower-case hex.</param>
public sealed record BackupFileEntry(string Name, long Bytes, string Sha256);
