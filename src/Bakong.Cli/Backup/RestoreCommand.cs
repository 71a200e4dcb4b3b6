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
    private readonly Option<string?> _storagePath = new("--storage-path")
    {
        Description = "The gateway's Storage:Path (its payment file), instead of --data: the backup goes into its folder and the payments under its name.",
        HelpName = "file",
    };

    private readonly Option<bool> _force = new("--force") { Description = "Restore a backup of another environment or merchant account than the data directory's." };

    public RestoreCommand(CliContext context)
        : base("restore", "Put a backup back as the data directory, with the gateway stopped; the previous directory is kept beside it.")
    {
        _context = context;
        _data.Description = "The data directory to restore into (it may not exist yet). Default, the same as the gateway's: $" + BakongDataDirectory.Variable
            + ", else the per-user data directory. The payment file gets the name the directory's gateway recorded, else the backed-up gateway's, else "
            + BakongDataDirectory.PaymentsFileName + ".";
        Arguments.Add(_file);
        Options.Add(_data);
        Options.Add(_storagePath);
        Options.Add(_force);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (ResolveTarget(parseResult, out var paymentsFile, out var targetError) is not { } data)
        {
            return await FailAsync(targetError!, ExitCodes.BadInput, cancellationToken).ConfigureAwait(false);
        }

        var file = Path.GetFullPath(parseResult.GetValue(_file)!);
        if (!File.Exists(file))
        {
            return await FailAsync($"No backup file '{file}'.", ExitCodes.BadInput, cancellationToken).ConfigureAwait(false);
        }

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

        // Where the gateway will look for its payments: --storage-path, else the name recorded in the directory (the
        // gateway writes it at each start), else the backed-up gateway's (the same settings on a new directory).
        paymentsFile ??= GatewayIdentity.Read(data)?.PaymentsFile ?? manifest.PaymentsFile ?? BakongDataDirectory.PaymentsFileName;

        var locks = new List<StoreLock>();
        string? staging = null;
        try
        {
            if (Directory.Exists(data))
            {
                // The same lock files the gateway and every command take: a running gateway holds them.
                foreach (var store in BackupCatalog.Stores)
                {
                    locks.Add(StoreLock.Acquire(Path.Combine(data, store.FileNameIn(paymentsFile)), store.Name + " store"));
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

            staging = Stage(file, manifest, data, paymentsFile);
            foreach (var held in locks)
            {
                held.Dispose();
            }

            locks.Clear();
            var previous = Swap(staging, data);
            staging = null;
            foreach (var line in Describe(manifest, data, paymentsFile, previous))
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

    /// <summary>
    /// <c>--storage-path</c> (its folder and the payment file's name) or <c>--data</c> (the name is decided once the
    /// backup is read); null with <paramref name="error"/> when unusable.
    /// </summary>
    private string? ResolveTarget(ParseResult parseResult, out string? paymentsFile, out string? error)
    {
        paymentsFile = null;
        error = null;
        if (parseResult.GetValue(_storagePath) is not { } storagePath)
        {
            return BakongSetup.ResolveData(parseResult, _data, out error) is { } data ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(data)) : null;
        }

        if (parseResult.GetValue(_data) is not null)
        {
            error = "Give --data or --storage-path, not both: --storage-path is the payment file, its folder the data directory.";
            return null;
        }

        try
        {
            var full = Path.GetFullPath(storagePath);
            if (!GatewayIdentity.IsPaymentsFileName(Path.GetFileName(full)) || Path.GetDirectoryName(full) is not { } folder)
            {
                error = $"--storage-path '{storagePath}' must name the payment file (as the gateway's Storage:Path), not a folder or another store's file.";
                return null;
            }

            paymentsFile = Path.GetFileName(full);
            return folder;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            error = $"--storage-path '{storagePath}' is not a usable path: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// The backup's files in a new folder beside <paramref name="data"/>, each database opened and counted against the
    /// manifest, the payments under <paramref name="paymentsFile"/>.
    /// </summary>
    private static string Stage(string file, BackupManifest manifest, string data, string paymentsFile)
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

        if (paymentsFile != BakongDataDirectory.PaymentsFileName && File.Exists(Path.Combine(staging, BakongDataDirectory.PaymentsFileName)))
        {
            File.Move(Path.Combine(staging, BakongDataDirectory.PaymentsFileName), Path.Combine(staging, paymentsFile));
        }

        // Recorded with the payment file's name, so the next backup of the directory finds it.
        if (manifest.Identity is { } identity)
        {
            (identity with { PaymentsFile = paymentsFile == BakongDataDirectory.PaymentsFileName ? null : paymentsFile }).Write(staging);
        }
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

    private static IEnumerable<string> Describe(BackupManifest manifest, string data, string paymentsFile, string? previous)
    {
        yield return $"Restored   {data} from the backup taken {manifest.CreateTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC "
            + $"({manifest.Environment ?? "unrecorded environment"}, merchant account {manifest.MerchantAccount ?? "unrecorded"})";
        yield return $"Payments   {Path.Combine(data, paymentsFile)}";
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
