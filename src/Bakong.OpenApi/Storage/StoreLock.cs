using System.Globalization;
using System.Text;

namespace Bakong.OpenApi.Storage;

/// <summary>
/// An exclusive lock file beside a LiteDB database (<c>&lt;db&gt;.lock</c>), held open for the store's lifetime, so two
/// processes never open the same file: LiteDB direct mode assumes one process owns it, and two writers would corrupt
/// it. Every store of the gateway takes one (payments, token, call audit), and so does every <c>bakong</c> command that
/// opens them, so a command refuses the files of a running gateway rather than becoming a second writer. On Linux .NET
/// takes <c>flock(LOCK_EX)</c> for <see cref="FileShare.None"/>, which the kernel drops when the process dies, so a
/// crash never leaves a stale lock.
/// </summary>
/// <remarks>The file is never deleted: deleting it on close would let a second opener lock an unlinked inode while a third creates a new one.</remarks>
public sealed class StoreLock : IDisposable
{
    private readonly FileStream _stream;

    private StoreLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Takes the lock of <paramref name="databasePath"/> or throws <see cref="StoreLockedException"/>.</summary>
    /// <param name="databasePath">The full path of the database file.</param>
    /// <param name="storeName">What the database is, for the message: "payment database", "token store", "call audit".</param>
    public static StoreLock Acquire(string databasePath, string storeName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(storeName);
        var path = databasePath + ".lock";
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // One line: the bakong commands print it as it is. Only a held lock is "in use": a read-only or missing
            // directory fails the same open, and would send the operator looking for a process that does not exist.
            if (e is UnauthorizedAccessException || !CanCreateFileBeside(path))
            {
                throw new IOException(
                    $"The {storeName} '{databasePath}' cannot be written: its lock file '{path}' cannot be created or opened "
                    + $"({e.Message}); give it a writable data directory (BAKONG_DATA, Storage:Path, or --data for the commands).",
                    e);
            }

            throw new StoreLockedException(
                $"The {storeName} '{databasePath}' is in use by another process (a running gateway, or another bakong command, "
                + $"holds its lock file '{path}'); stop that process first, or use another data directory.",
                e);
        }

        try
        {
            // For operators: `cat bakong.db.lock` names the holder.
            stream.SetLength(0);
            stream.Write(Encoding.UTF8.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            stream.Flush();
        }
        catch (IOException)
        {
            // The lock is what matters; the pid note is a courtesy.
        }

        return new StoreLock(stream, path);
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>
    /// Whether a new file can be made beside <paramref name="path"/>. Not the lock file itself: every FileStream takes
    /// at least a shared flock, which a held lock refuses as well.
    /// </summary>
    private static bool CanCreateFileBeside(string path)
    {
        try
        {
            var probe = path + "." + Guid.NewGuid().ToString("N") + ".probe";
            using var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>A database is already open in another process (a gateway or a <c>bakong</c> command), or in another store of this one.</summary>
public sealed class StoreLockedException : IOException
{
    public StoreLockedException()
    {
    }

    public StoreLockedException(string message)
        : base(message)
    {
    }

    public StoreLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
