namespace Bakong.OpenApi.Storage;

/// <summary>
/// The data directory holds the payments (with payers' accounts), the encrypted Bakong token and its key, the call
/// audit and the API key hashes: on Unix it is created owner-only (0700) and each store's files are made 0600, so
/// another user on the POS box reads none of it. An existing directory is not changed (<c>Storage:Path</c> may sit in
/// a folder others share); <see cref="IsOpenToOthers"/> lets the gateway warn about it at start instead.
/// </summary>
public static class PrivateFiles
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the directory of <paramref name="filePath"/> (owner-only on Unix) if it does not exist.</summary>
    public static void CreateDirectoryFor(string filePath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(filePath));
        if (string.IsNullOrEmpty(directory) || Directory.Exists(directory))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            // The parents too are created 0700 (CreateDirectory applies the mode to each one it makes).
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }
    }

    /// <summary>Makes each existing file of <paramref name="paths"/> owner read/write only (0600) on Unix.</summary>
    public static void Restrict(params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var path in paths)
        {
            if (File.Exists(path) && (File.GetUnixFileMode(path) & ~OwnerOnlyFile) != 0)
            {
                File.SetUnixFileMode(path, OwnerOnlyFile);
            }
        }
    }

    /// <summary>
    /// Before LiteDB opens <paramref name="databasePath"/> itself: its file and the <c>-log</c> file it writes beside it
    /// as needed are created empty and owner-only now (LiteDB would create them with the process's umask, 0644).
    /// </summary>
    public static void PrepareLiteDb(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        var log = Path.Combine(Path.GetDirectoryName(databasePath) ?? "", Path.GetFileNameWithoutExtension(databasePath) + "-log" + Path.GetExtension(databasePath));
        foreach (var path in new[] { databasePath, log })
        {
            if (!OperatingSystem.IsWindows() && !File.Exists(path))
            {
                try
                {
                    using var _ = new FileStream(path, new FileStreamOptions
                    {
                        Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnlyFile,
                    });
                }
                catch (IOException) when (File.Exists(path))
                {
                    // Made by LiteDB or another opener in between: Restrict tightens it.
                }
            }
        }

        Restrict(databasePath, log);
    }

    /// <summary>True on Unix when group or others have any access to <paramref name="directory"/>.</summary>
    public static bool IsOpenToOthers(string directory) =>
        !OperatingSystem.IsWindows() && Directory.Exists(directory) && (File.GetUnixFileMode(directory) & Others) != 0;
}
