using System.Data.Common;

namespace Bakong.Payments.Storage;

/// <summary>
/// The one rule for "the store cannot reach its data": what the gateway answers UNAVAILABLE for (not a bug, and it may
/// pass) and what the payment store's health check reports, whichever store is configured.
/// </summary>
public static class StoreUnreachable
{
    /// <summary>
    /// The store's failure to reach its data in <paramref name="exception"/>, if it is one: an I/O error (a full disk, a
    /// failing device; the store throws the <see cref="IOException"/> itself, or its database engine an exception around
    /// it) or a database server that cannot be reached (PostgreSQL stopped, restarting or unreachable: a transient
    /// <see cref="DbException"/>, or one whose SQLSTATE is a connection exception, class 08, or an operator's shutdown,
    /// 57P). Null for anything else.
    /// </summary>
    public static Exception? CauseOf(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Unreachable(exception) ? exception : exception.InnerException is { } inner && Unreachable(inner) ? inner : null;

        static bool Unreachable(Exception e) => e is IOException
            || e is DbException { IsTransient: true }
            || e is DbException { SqlState: { } state } && (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal));
    }
}
