namespace Bakong.Payments.Storage;

/// <summary>
/// A database file as the payment store gives it to LiteDB: unbuffered (every page LiteDB writes reaches the operating
/// system at once), and <see cref="Flush()"/> is an fsync. LiteDB flushes the data file after a checkpoint's writes
/// through <see cref="Stream.Flush()"/> when it is given a stream, so without this the data file would never be synced.
/// </summary>
internal sealed class SyncedFileStream : FileStream
{
    private SyncedFileStream(string path)
        : base(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess)
    {
    }

    public static Stream Open(string path) => new SyncedFileStream(path);

    public override void Flush() => Flush(flushToDisk: true);
}
