using LiteDB;

namespace Bakong.OpenApi.Storage;

/// <summary>
/// Consistent copies of LiteDB files. LiteDB 5 writes every commit to the <c>-log</c> file and touches the data file
/// only in a checkpoint (which copies the log into it and empties the log), so right after a checkpoint the data file
/// alone is the whole database, and it stays that one state until the next checkpoint, whatever is committed meanwhile.
/// A copy of it taken in that window is a consistent backup: no write half in it, none after the checkpoint.
/// </summary>
public static class StoreSnapshot
{
    private const int CopyBuffer = 1 << 16;

    /// <summary>
    /// Checkpoints <paramref name="database"/> and copies its data file to <paramref name="destinationFile"/>. The
    /// caller holds its store's write gate throughout: a commit could pass LiteDB's automatic checkpoint size and write
    /// the data file under the copy.
    /// </summary>
    public static void CopyOpen(LiteDatabase database, string databasePath, string destinationFile)
    {
        ArgumentNullException.ThrowIfNull(database);
        database.Checkpoint();
        CopyFile(databasePath, destinationFile);
    }

    /// <summary>
    /// Copies the database of a store no process holds: takes its lock (a running gateway's store is refused with
    /// <see cref="StoreLockedException"/>), opens it so a crashed writer's log is replayed, checkpoints, closes, and
    /// copies the data file while still holding the lock. False when there is no such file.
    /// </summary>
    public static bool CopyClosed(string databasePath, string storeName, string destinationFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        if (!File.Exists(databasePath))
        {
            return false;
        }

        using var held = StoreLock.Acquire(databasePath, storeName);
        try
        {
            using (var database = new LiteDatabase(new ConnectionString { Filename = databasePath, Connection = ConnectionType.Direct }))
            {
                database.Checkpoint();
            }
        }
        catch (Exception e) when (StoreException.IsEngineFailure(e))
        {
            throw StoreException.Failed(storeName, databasePath, e);
        }

        CopyFile(databasePath, destinationFile);
        return true;
    }

    /// <summary>The documents of each collection of a database file no one else has open (a copy), by collection name.</summary>
    public static IReadOnlyDictionary<string, long> CountDocuments(string databasePath, string storeName)
    {
        try
        {
            using var database = new LiteDatabase(new ConnectionString { Filename = databasePath, Connection = ConnectionType.Direct, ReadOnly = true });
            var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var name in database.GetCollectionNames())
            {
                counts[name] = database.GetCollection(name).LongCount();
            }

            return counts;
        }
        catch (Exception e) when (StoreException.IsEngineFailure(e))
        {
            throw StoreException.Failed(storeName, databasePath, e);
        }
    }

    /// <summary>
    /// Copies a file that a store may hold open (shared read) to a new file, flushed to disk.
    /// </summary>
    public static void CopyFile(string sourceFile, string destinationFile)
    {
        using var source = new FileStream(sourceFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, CopyBuffer, FileOptions.SequentialScan);
        using var destination = new FileStream(destinationFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBuffer);
        source.CopyTo(destination, CopyBuffer);
        destination.Flush(flushToDisk: true);
    }
}
