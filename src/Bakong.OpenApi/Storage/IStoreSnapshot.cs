namespace Bakong.OpenApi.Storage;

/// <summary>
/// A store that an open process can copy consistently while it keeps running: what <c>bakong backup</c> asks the
/// gateway for. Each store of <see cref="BackupCatalog"/> the gateway holds open is registered as one; a store it does
/// not hold is copied from its closed file (<see cref="StoreSnapshot.CopyClosed"/>).
/// </summary>
public interface IStoreSnapshot
{
    /// <summary>The store's name in <see cref="BackupCatalog"/>.</summary>
    string StoreName { get; }

    /// <summary>
    /// Writes a consistent copy of the database to <paramref name="destinationFile"/> (a new file): every committed
    /// write up to one point and nothing after it, checkpointed, so the file alone is the database (no log beside it).
    /// </summary>
    void CopyTo(string destinationFile);
}
