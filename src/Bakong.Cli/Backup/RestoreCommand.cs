using System.CommandLine;
using System.Globalization;
using Bakong.Cli.Token;
using Bakong.OpenApi.Storage;

namespace Bakong.Cli.Backup;

/// <summary>
/// <c>bakong restore FILE</c>: puts a backup back as the data directory, with the gateway stopped. It checks the whole
/// backup against its manifest first, refuses a directory a running gateway (or a <c>bakong</c> command) holds, and
/// refuses a backup of another environment or merchant account than the directory's without <c>--force</c>. The files
/// are written to a new folder beside the directory and checked there; only then is the directory swapped for it
/// (the previous one is kept beside, renamed), so it is never half restored.
/// </summary>
/// <remarks>Exit codes: 0 restored; 1 refused (damaged backup, running gateway, other environment); 2 bad input.</remarks>
internal sealed class RestoreCommand : Command
{
    private readonly CliContext _context;
    private readonly Argument<string> _file = new("file") { Description = "The backup file, from 'bakong backup --out'." };
    private readonly Option<string?> _data = BakongSetup.Data();
    private readonly Option<bool> _force = new("--force") { Description = "Restore a backup of another environment or merchant account than the data directory's." };

    public RestoreCommand(CliContext context)
        : base("restore", "Put a backup back as the data directory, with the gateway stopped; the previous directory is kept beside it.")
    {
        _context = context;
        _data.Description = "The data directory to restore into (it may not exist yet). Default, the same as the gateway's: $" + BakongDataDirectory.Variable
            + ", else the per-user data directory.";
        Arguments.Add(_file);
        Options.Add(_data);
        Options.Add(_force);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (BakongSetup.ResolveData(parseResult, _data, out var dataError) is not { } data)
        {
            return await FailAsync(dataError!, ExitCodes.BadInput, cancellationToken).ConfigureAwait(false);
        }

        var file = Path.GetFullPath(parseResult.GetValue(_file)!);
        if (!File.Exists(file))
        {
            return await FailAsync($"No backup file '{file}'.", ExitCodes.BadInput, cancellationToken).ConfigureAwait(false);
        }

        data = Path.TrimEndingDirectorySeparator(Path.GetFullPath(data));
        BackupManifest manifest;
        try
        {
            // The whole backup, before anything is touched.
            manifest = BackupArchive.Verify(file);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return await FailAsync("Not restored: " + e.Message, BakongSetup.Refused, cancellationToken).ConfigureAwait(false);
        }

        var locks = new List<StoreLock>();
        string? staging = null;
        try
        {
            if (Directory.Exists(data))
            {
                // The same lock files the gateway and every command take: a running gateway holds them.
                foreach (var store in BackupCatalog.Stores)
                {
                    locks.Add(StoreLock.Acquire(Path.Combine(data, store.FileName), store.Name + " store"));
                }

                if (GatewayIdentity.Read(data) is { } current && !parseResult.GetValue(_force)
                    && (manifest.Identity is not { } backedUp ? "an unrecorded environment and merchant account" : backedUp.Difference(current)) is { } difference)
                {
                    return await FailAsync(
                        $"Not restored: the backup holds the data of {difference} ({data} serves {current.Environment}, {current.MerchantAccount}). "
                        + "Restore it into another directory (--data), or give --force to replace this one.",
                        BakongSetup.Refused,
                        cancellationToken).ConfigureAwait(false);
                }
            }

            staging = Stage(file, manifest, data);
            foreach (var held in locks)
            {
                held.Dispose();
            }

            locks.Clear();
            var previous = Swap(staging, data);
            staging = null;
            foreach (var line in Describe(manifest, data, previous))
            {
                await _context.Output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }
        catch (StoreLockedException e)
        {
            return await FailAsync("Not restored: stop the gateway first. " + e.Message, BakongSetup.Refused, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StoreException or InvalidDataException)
        {
            return await FailAsync($"Not restored ({data} is unchanged): {e.Message}", BakongSetup.Refused, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            locks.ForEach(l => l.Dispose());
            if (staging is not null && Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>The backup's files in a new folder beside <paramref name="data"/>, each database opened and counted against the manifest.</summary>
    private static string Stage(string file, BackupManifest manifest, string data)
    {
        var parent = Path.GetDirectoryName(data) ?? throw new IOException($"'{data}' has no parent folder to restore beside.");
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, "." + Path.GetFileName(data) + ".restore-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        BackupArchive.Extract(file, manifest, staging);
        foreach (var store in manifest.Stores)
        {
            var counted = StoreSnapshot.CountDocuments(Path.Combine(staging, store.Files[0].Name), store.Name + " store");
            if (!counted.OrderBy(c => c.Key, StringComparer.Ordinal).SequenceEqual(store.Documents.OrderBy(c => c.Key, StringComparer.Ordinal)))
            {
                throw new InvalidDataException($"The backup's {store.Name} store does not hold the documents its manifest counts.");
            }
        }

        manifest.Identity?.Write(staging);
        return staging;
    }

    /// <summary>Makes <paramref name="staging"/> the data directory; the previous one, if it held anything, is kept beside (returned).</summary>
    private string? Swap(string staging, string data)
    {
        string? previous = null;
        if (Directory.Exists(data))
        {
            // Nothing but the lock files this command took: a fresh directory, replaced rather than kept.
            if (!Directory.EnumerateFileSystemEntries(data).Any(e => !e.EndsWith(".lock", StringComparison.Ordinal)))
            {
                Directory.Delete(data, recursive: true);
            }
            else
            {
                var stamp = _context.TimeProvider.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
                previous = data + ".before-restore-" + stamp;
                Directory.Move(data, previous);
            }
        }

        try
        {
            Directory.Move(staging, data);
        }
        catch when (previous is not null)
        {
            Directory.Move(previous, data);
            throw;
        }

        return previous;
    }

    private static IEnumerable<string> Describe(BackupManifest manifest, string data, string? previous)
    {
        yield return $"Restored   {data} from the backup taken {manifest.CreateTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC "
            + $"({manifest.Environment ?? "unrecorded environment"}, merchant account {manifest.MerchantAccount ?? "unrecorded"})";
        foreach (var store in manifest.Stores)
        {
            var documents = string.Join(", ", store.Documents.Select(d => $"{d.Key} {d.Value.ToString(CultureInfo.InvariantCulture)}"));
            yield return $"  {store.Name,-9}{(documents.Length == 0 ? "empty" : documents)}";
        }

        if (previous is not null)
        {
            yield return $"The previous data is in {previous}: delete it once the gateway runs well on the restored data.";
        }
    }

    private async Task<int> FailAsync(string line, int exitCode, CancellationToken cancellationToken)
    {
        await _context.Error.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        return exitCode;
    }
}
