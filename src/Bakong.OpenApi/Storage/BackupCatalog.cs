namespace Bakong.OpenApi.Storage;

/// <summary>One store of the data directory that a backup holds.</summary>
/// <param name="Name">Its name in a backup's manifest.</param>
/// <param name="FileName">Its database file in the data directory (and in the backup).</param>
/// <param name="Companions">
/// Files beside it that belong to it and never change once written (the token store's key), copied as they are.
/// </param>
public sealed record BackedUpStore(string Name, string FileName, params string[] Companions)
{
    /// <summary>
    /// Its database file in a data directory whose payment file is <paramref name="paymentsFile"/>
    /// (<see cref="GatewayIdentity.PaymentsFileIn"/>): only the payments' name can differ from <see cref="FileName"/>.
    /// </summary>
    public string FileNameIn(string paymentsFile) => Name == BackupCatalog.Payments ? paymentsFile : FileName;
}

/// <summary>
/// Every store <c>bakong backup</c> copies and <c>bakong restore</c> puts back: adding a store to the backup is one line
/// here (and, for a store the gateway holds open, registering it as an <see cref="IStoreSnapshot"/>).
/// </summary>
public static class BackupCatalog
{
    public const string Payments = "payments";
    public const string Tokens = "tokens";
    public const string Audit = "audit";
    public const string Clients = "clients";

    public static IReadOnlyList<BackedUpStore> Stores { get; } =
    [
        new(Payments, BakongDataDirectory.PaymentsFileName),
        new(Tokens, BakongDataDirectory.TokensFileName, BakongDataDirectory.TokensFileName + ".key"),
        new(Audit, BakongDataDirectory.AuditFileName),
        new(Clients, BakongDataDirectory.ClientsFileName),
    ];
}
