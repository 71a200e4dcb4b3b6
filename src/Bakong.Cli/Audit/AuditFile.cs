using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bakong.Cli.Audit;

/// <summary>
/// How <c>audit list</c> and <c>audit api</c> read the data directory's audit: the time window and the row limit by
/// one rule, the file opened as a reader only (no writer, no pruning with a command's idea of the retention), and a
/// store held by a running gateway (or not an audit at all) reported in the store's own one line.
/// </summary>
internal static class AuditFile
{
    public const int DefaultLimit = 50;
    private static readonly TimeSpan s_defaultSince = TimeSpan.FromHours(1);

    /// <summary>The first instant of <c>--since</c> (default 1 h) before now; everything when it reaches past the calendar.</summary>
    public static DateTimeOffset Since(TimeSpan? back, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow();
        var span = back ?? s_defaultSince;
        return span >= now - DateTimeOffset.MinValue ? DateTimeOffset.MinValue : now - span;
    }

    /// <summary>The audit file of <paramref name="directory"/>.</summary>
    public static string PathIn(string directory) => Path.Combine(directory, BakongDataDirectory.AuditFileName);

    /// <summary>
    /// What <paramref name="query"/> reads from the audit in <paramref name="directory"/> (none when there is no audit
    /// file yet); null after writing why it could not be read to the error output.
    /// </summary>
    public static async Task<IReadOnlyList<T>?> ReadAsync<T>(
        CliContext context, string directory, Func<LiteDbCallAudit, IReadOnlyList<T>> query, CancellationToken cancellationToken)
    {
        var path = PathIn(directory);
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            using var audit = new LiteDbCallAudit(
                Microsoft.Extensions.Options.Options.Create(new BakongCallAuditOptions { DatabasePath = path }),
                context.TimeProvider,
                NullLogger<LiteDbCallAudit>.Instance);
            return query(audit);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StoreException)
        {
            var message = e is StoreLockedException or StoreException ? e.Message : $"Cannot read the audit in {path} ({e.Message}).";
            await context.Error.WriteLineAsync(message.AsMemory(), cancellationToken).ConfigureAwait(false);
            return null;
        }
    }
}
