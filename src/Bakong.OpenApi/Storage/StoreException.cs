namespace Bakong.OpenApi.Storage;

/// <summary>
/// A store's database refused to open, read or write (a file that is not a database of ours, a damaged one): the one
/// exception a store throws for its database engine's own errors, so that no caller outside the stores names the
/// engine's types. The engine's exception is the <see cref="Exception.InnerException"/>. A failing file system stays an
/// <see cref="IOException"/>, and a database held by another process a <see cref="StoreLockedException"/>.
/// </summary>
/// <remarks>
/// Not only LiteDB's <c>LiteException</c>: LiteDB 5 reads a file that is not a LiteDB file into its header page and
/// fails with whatever that throws (an <see cref="ArgumentOutOfRangeException"/> for a date out of range, for one).
/// </remarks>
public sealed class StoreException : Exception
{
    public StoreException()
    {
    }

    public StoreException(string message)
        : base(message)
    {
    }

    public StoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// Whether <paramref name="exception"/>, thrown by a call into the database engine, is the engine's own failure, not
    /// the file system's (<see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>, which keep their types)
    /// or a call after the store was closed.
    /// </summary>
    public static bool IsEngineFailure(Exception exception) =>
        exception is not (IOException or UnauthorizedAccessException or ObjectDisposedException or OperationCanceledException);

    /// <summary>One line for an operator: which store, which file, and the engine's reason.</summary>
    /// <param name="storeName">What the database is: "token store", "call audit".</param>
    /// <param name="databasePath">The database file.</param>
    /// <param name="innerException">The engine's exception.</param>
    public static StoreException Failed(string storeName, string databasePath, Exception innerException) =>
        new($"The {storeName} '{databasePath}' cannot be used: {innerException.Message}", innerException);
}
