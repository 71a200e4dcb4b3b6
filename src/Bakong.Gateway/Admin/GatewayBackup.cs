using System.Reflection;
using Bakong.OpenApi.Storage;
using Bakong.Payments.Configuration;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Admin;

/// <summary>
/// A backup of the running gateway's data directory: each store it holds open copies itself
/// (<see cref="IStoreSnapshot"/>: consistent while writes go on), and a store of <see cref="BackupCatalog"/> it does
/// not hold (the client store with <c>Auth:Mode</c> None) is copied from its closed file.
/// </summary>
internal sealed class GatewayBackup(
    IEnumerable<IStoreSnapshot> openStores, IOptions<PaymentStorageOptions> storage, GatewayIdentity identity, TimeProvider timeProvider)
{
    /// <summary>What this gateway's backups say made them.</summary>
    public static string Version { get; } =
        typeof(GatewayBackup).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The payments are in PostgreSQL: <c>bakong backup</c> refuses, pointing to <c>pg_dump</c>.</summary>
    public bool PaymentsInPostgreSql => storage.Value.Provider == StorageProvider.PostgreSql;

    /// <summary>The data directory: the folder of <c>Storage:Path</c>, where every store lives.</summary>
    public string DataDirectory => Path.GetDirectoryName(Path.GetFullPath(storage.Value.Path)) ?? ".";

    /// <summary>Writes a backup to a new temporary file in the data directory; the caller deletes it.</summary>
    public (string File, BackupManifest Manifest) Take()
    {
        var open = openStores.ToDictionary(s => s.StoreName, StringComparer.Ordinal);
        var file = Path.Combine(DataDirectory, ".bakong-backup-" + Guid.NewGuid().ToString("N") + ".zip");
        var manifest = BackupArchive.Create(
            DataDirectory,
            DataDirectory,
            file,
            new BackupOrigin("gateway", Version, identity),
            timeProvider.GetUtcNow(),
            (store, destination) =>
            {
                if (open.TryGetValue(store.Name, out var snapshot))
                {
                    snapshot.CopyTo(destination);
                    return true;
                }

                return StoreSnapshot.CopyClosed(Path.Combine(DataDirectory, store.FileName), store.Name + " store", destination);
            });
        return (file, manifest);
    }
}
