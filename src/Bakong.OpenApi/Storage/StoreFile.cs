namespace Bakong.OpenApi.Storage;

/// <summary>
/// How a store opens its database file and calls its engine, the same for every store that keeps one file open for
/// its life (token store, call audit, client store): the folder is created owner-only (<see cref="PrivateFiles"/>), the <see cref="StoreLock"/> is taken
/// before anything touches the file, and what the engine throws of its own leaves as a <see cref="StoreException"/>
/// naming the store and the file. No engine type appears here, so only the stores compile against the engine.
/// </summary>
public static class StoreFile
{
    /// <summary>
    /// Takes the lock of <paramref name="databasePath"/> (a full path), then opens it with <paramref name="open"/> and
    /// readies it with <paramref name="prepare"/> (indexes). If either fails, what was opened is disposed and the lock
    /// released: a store that did not open holds nothing.
    /// </summary>
    /// <param name="databasePath">The full path of the database file.</param>
    /// <param name="storeName">What the database is, for messages: "token store", "call audit", "client store".</param>
    /// <param name="open">Opens the database; runs under the lock.</param>
    /// <param name="prepare">Readies the opened database (indexes); null for nothing.</param>
    public static (StoreLock Lock, TDatabase Database) Open<TDatabase>(
        string databasePath, string storeName, Func<TDatabase> open, Action<TDatabase>? prepare = null)
        where TDatabase : class, IDisposable
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentNullException.ThrowIfNull(open);
        PrivateFiles.CreateDirectoryFor(databasePath);
        var storeLock = StoreLock.Acquire(databasePath, storeName);
        TDatabase? database = null;
        try
        {
            PrivateFiles.PrepareLiteDb(databasePath);
            database = open();
            PrivateFiles.Restrict(databasePath + ".lock");
            prepare?.Invoke(database);
            return (storeLock, database);
        }
        catch (Exception e)
        {
            database?.Dispose();
            storeLock.Dispose();
            if (StoreException.IsEngineFailure(e))
            {
                throw StoreException.Failed(storeName, databasePath, e);
            }

            throw;
        }
    }

    /// <summary>One call into the engine, its own errors as the store's <see cref="StoreException"/>.</summary>
    public static T Use<T>(string databasePath, string storeName, Func<T> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return call();
        }
        catch (Exception e) when (StoreException.IsEngineFailure(e))
        {
            throw StoreException.Failed(storeName, databasePath, e);
        }
    }
}
