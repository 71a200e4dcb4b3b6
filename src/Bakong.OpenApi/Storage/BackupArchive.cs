using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Bakong.OpenApi.Storage;

/// <summary>What made a backup and what its data belongs to.</summary>
/// <param name="MadeBy">"gateway" or "bakong".</param>
/// <param name="Version">The maker's version.</param>
/// <param name="Identity">The environment and merchant account of the data, when known.</param>
public sealed record BackupOrigin(string MadeBy, string Version, GatewayIdentity? Identity);

/// <summary>
/// The backup file: a zip of every store's database as one consistent, checkpointed file each (see
/// <see cref="StoreSnapshot"/>), its companions, and <c>manifest.json</c> first. Written to a new file beside the
/// target and renamed into place, so a backup is either whole or absent; read back only after every file's size and
/// SHA-256 have been checked against the manifest.
/// </summary>
public static class BackupArchive
{
    public const int FormatVersion = 1;
    public const string ManifestName = "manifest.json";

    // A manifest is a few kilobytes; anything much bigger is not one of ours.
    private const int MaxManifestBytes = 1 << 20;

    /// <summary>
    /// Copies every store of <see cref="BackupCatalog"/> with <paramref name="copyStore"/> (false: the store is not in
    /// this directory) and writes the backup to <paramref name="outputFile"/>, which must not exist. Temporary copies
    /// go to a folder inside <paramref name="workDirectory"/> and are deleted.
    /// </summary>
    /// <param name="dataDirectory">Where the stores' companion files are.</param>
    /// <param name="workDirectory">Where the temporary copies go (a folder of their own, deleted after).</param>
    /// <param name="outputFile">The backup; must not exist.</param>
    /// <param name="origin">What makes it, for the manifest.</param>
    /// <param name="time">When, for the manifest.</param>
    /// <param name="copyStore">Writes a consistent copy of the store's database to the given file; false when the store is not there.</param>
    public static BackupManifest Create(
        string dataDirectory,
        string workDirectory,
        string outputFile,
        BackupOrigin origin,
        DateTimeOffset time,
        Func<BackedUpStore, string, bool> copyStore)
    {
        ArgumentNullException.ThrowIfNull(origin);
        ArgumentNullException.ThrowIfNull(copyStore);
        var work = Directory.CreateDirectory(Path.Combine(workDirectory, ".bakong-backup-" + Guid.NewGuid().ToString("N"))).FullName;
        var partial = outputFile + "." + Guid.NewGuid().ToString("N") + ".partial";
        try
        {
            var stores = new List<BackupStoreEntry>();
            foreach (var store in BackupCatalog.Stores)
            {
                var copy = Path.Combine(work, store.FileName);
                if (!copyStore(store, copy))
                {
                    continue;
                }

                var files = new List<BackupFileEntry> { Describe(copy) };
                foreach (var companion in store.Companions)
                {
                    var source = Path.Combine(dataDirectory, companion);
                    if (File.Exists(source))
                    {
                        StoreSnapshot.CopyFile(source, Path.Combine(work, companion));
                        files.Add(Describe(Path.Combine(work, companion)));
                    }
                }

                stores.Add(new BackupStoreEntry(store.Name, StoreSnapshot.CountDocuments(copy, store.Name), files));
            }

            var manifest = new BackupManifest(
                FormatVersion, origin.MadeBy, origin.Version, origin.Identity?.Environment, origin.Identity?.MerchantAccount, time.ToUniversalTime(), stores,
                origin.Identity?.PaymentsFile);
            using (var output = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
                {
                    using (var entry = zip.CreateEntry(ManifestName, CompressionLevel.Optimal).Open())
                    {
                        JsonSerializer.Serialize(entry, manifest, BackupJson.Default.BackupManifest);
                    }

                    foreach (var file in stores.SelectMany(s => s.Files))
                    {
                        zip.CreateEntryFromFile(Path.Combine(work, file.Name), file.Name, CompressionLevel.Fastest);
                    }
                }

                output.Flush(flushToDisk: true);
            }

            File.Move(partial, outputFile);
            return manifest;
        }
        finally
        {
            File.Delete(partial);
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Reads the manifest of <paramref name="backupFile"/> and checks every file it lists (present, same size, same
    /// SHA-256) and that nothing else is in it. Throws <see cref="InvalidDataException"/> naming what is wrong.
    /// </summary>
    public static BackupManifest Verify(string backupFile)
    {
        using var zip = Open(backupFile);
        var manifest = ReadManifest(zip);
        var listed = new HashSet<string>(StringComparer.Ordinal) { ManifestName };
        foreach (var file in manifest.Stores.SelectMany(s => s.Files))
        {
            listed.Add(file.Name);
            var entry = zip.GetEntry(file.Name) ?? throw new InvalidDataException($"The backup lacks {file.Name}, which its manifest lists.");
            try
            {
                using var content = entry.Open();
                Check(file, Hash(content, Stream.Null));
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith("The backup", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"The backup is damaged: {file.Name} cannot be read ({e.Message}).", e);
            }
        }

        if (zip.Entries.FirstOrDefault(e => !listed.Contains(e.FullName)) is { } extra)
        {
            throw new InvalidDataException($"The backup holds a file its manifest does not list ({Printable(extra.FullName)}).");
        }

        return manifest;
    }

    /// <summary>Writes every file of a verified backup into <paramref name="directory"/>, checking each again as it is written, and flushes them to disk.</summary>
    public static void Extract(string backupFile, BackupManifest manifest, string directory)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var zip = Open(backupFile);
        foreach (var file in manifest.Stores.SelectMany(s => s.Files))
        {
            using var content = zip.GetEntry(file.Name)!.Open();
            using var output = new FileStream(Path.Combine(directory, file.Name), FileMode.CreateNew, FileAccess.Write, FileShare.None);
            Check(file, Hash(content, output));
            output.Flush(flushToDisk: true);
        }
    }

    private static ZipArchive Open(string backupFile)
    {
        var stream = new FileStream(backupFile, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException e)
        {
            stream.Dispose();
            throw new InvalidDataException($"'{backupFile}' is not a backup (not a zip file: {e.Message}).", e);
        }
    }

    private static BackupManifest ReadManifest(ZipArchive zip)
    {
        var entry = zip.GetEntry(ManifestName) ?? throw new InvalidDataException("The file is not a backup: it has no " + ManifestName + ".");
        if (entry.Length > MaxManifestBytes)
        {
            throw new InvalidDataException("The backup's " + ManifestName + " is too large to be one.");
        }

        BackupManifest? manifest;
        try
        {
            using var stream = entry.Open();
            manifest = JsonSerializer.Deserialize(stream, BackupJson.Default.BackupManifest);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The backup's {ManifestName} cannot be read ({e.Message}).", e);
        }

        if (manifest is null || manifest.Stores is null)
        {
            throw new InvalidDataException("The backup's " + ManifestName + " is empty.");
        }

        if (manifest.Format != FormatVersion)
        {
            throw new InvalidDataException($"The backup is in format {manifest.Format}; this version reads format {FormatVersion}.");
        }

        if (manifest.PaymentsFile is { } paymentsFile && !GatewayIdentity.IsPaymentsFileName(paymentsFile))
        {
            throw new InvalidDataException($"The backup's {ManifestName} names an unusable payment file ({Printable(paymentsFile)}).");
        }

        var known = BackupCatalog.Stores.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var store in manifest.Stores)
        {
            // Only the catalog's own file names: a manifest never chooses where a restore writes.
            if (store?.Files is not { Count: > 0 } files || !known.TryGetValue(store.Name ?? "", out var catalog)
                || files[0]?.Name != catalog.FileName || files.Skip(1).Any(f => f is null || !catalog.Companions.Contains(f.Name)))
            {
                throw new InvalidDataException($"The backup's {ManifestName} lists a store this version does not know ({Printable(store?.Name)}).");
            }
        }

        return manifest;
    }

    private static BackupFileEntry Describe(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var (bytes, sha) = Hash(stream, Stream.Null);
        return new BackupFileEntry(Path.GetFileName(path), bytes, sha);
    }

    private static void Check(BackupFileEntry file, (long Bytes, string Sha256) actual)
    {
        if (actual.Bytes != file.Bytes || !string.Equals(actual.Sha256, file.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"The backup is damaged: {file.Name} does not match its manifest (SHA-256 or size differ).");
        }
    }

    /// <summary>Reads <paramref name="source"/> to its end, writing it to <paramref name="copy"/>; its length and SHA-256.</summary>
    private static (long Bytes, string Sha256) Hash(Stream source, Stream copy)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            copy.Write(buffer, 0, read);
            total += read;
        }

        return (total, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static string Printable(string? text) =>
        text is null ? "none" : new string([.. text.Take(64).Select(c => char.IsControl(c) ? '?' : c)]);
}
