namespace Bakong.Payments.Storage;

/// <summary>
/// An exclusive lock file beside the database (<c>&lt;db&gt;.lock</c>), held open for the store's lifetime, so two
/// gateways never open the same LiteDB file: LiteDB direct mode assumes one process owns the file, and two writers
/// would corrupt it. On Linux .NET takes <c>flock(LOCK_EX)</c> for <see cref="FileShare.None"/>, which the kernel
/// drops when the process dies, so a crash never leaves a stale lock.
/// </summary>
/// <remarks>The file is never deleted: deleting it on close would let a second opener lock an unlinked inode while a third creates a new one.</remarks>
internal sealed class StoreLock : IDisposable
{
    private readonly FileStream _stream;

    private StoreLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    public static StoreLock Acquire(string databasePath)
    {
        var path = databasePath + ".lock";
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
        }
        catch (IOException e)
        {
            throw new PaymentStoreLockedException(
                $"The payment database '{databasePath}' is already open in another gateway (its lock file '{path}' is held). "
                + "Run one gateway per database file, or give this one its own Storage:Path.",
                e);
        }

        try
        {
            // For operators: `cat bakong.db.lock` names the holder.
            stream.SetLength(0);
            var text = System.Text.Encoding.UTF8.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
            stream.Write(text);
            stream.Flush();
        }
        catch (IOException)
        {
            // The lock is what matters; the pid note is a courtesy.
        }

        return new StoreLock(stream, path);
    }

    public void Dispose() => _stream.Dispose();
}

/// <summary>The payment database is already open in another gateway (or another store in this process).</summary>
public sealed class PaymentStoreLockedException : IOException
{
    public PaymentStoreLockedException()
    {
    }

    public PaymentStoreLockedException(string message)
        : base(message)
    {
    }

    public PaymentStoreLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
