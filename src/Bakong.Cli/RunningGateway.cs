using System.CommandLine;
using Bakong.OpenApi.Storage;

namespace Bakong.Cli;

/// <summary>
/// The one rule for whether a command that can work either way (<c>bakong token status|set|renew</c>,
/// <c>audit list|api</c>, <c>clients</c>, <c>backup</c>) asks the running gateway's admin API or opens the data
/// directory's files: the gateway when <c>--server</c> is given, or when another process holds the lock of one of the
/// files the command would open (a running gateway; <see cref="StoreLock"/>). Only the lock file is touched to find
/// out, never the database: while a gateway runs no other process opens its LiteDB files.
/// </summary>
internal static class RunningGateway
{
    /// <summary>Whether the command goes through the gateway rather than the files at <paramref name="databasePaths"/>.</summary>
    public static bool Holds(ParseResult parseResult, Option<Uri> server, params string[] databasePaths)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(databasePaths);
        return IsNamed(parseResult, server) || databasePaths.Any(IsHeld);
    }

    /// <summary>Whether <c>--server</c> was given: then that gateway is asked, whatever this machine's files hold (none at all, or another gateway's).</summary>
    public static bool IsNamed(ParseResult parseResult, Option<Uri> server)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult.GetResult(server) is { Implicit: false };
    }

    /// <summary>
    /// Whether another process holds the lock of <paramref name="databasePath"/>. A file that does not exist is held by
    /// nobody; a lock that cannot even be tried (a read-only folder) is left to the store's own open to report.
    /// </summary>
    public static bool IsHeld(string databasePath)
    {
        if (!File.Exists(databasePath))
        {
            return false;
        }

        try
        {
            using var probe = StoreLock.Acquire(databasePath, "store");
            return false;
        }
        catch (StoreLockedException)
        {
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
