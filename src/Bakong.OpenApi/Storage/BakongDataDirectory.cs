namespace Bakong.OpenApi.Storage;

/// <summary>
/// Where the gateway and the <c>bakong</c> command keep their data unless told otherwise: one rule for both, so
/// <c>bakong token</c> and <c>bakong audit</c> find the files the gateway writes wherever either is started from.
/// <c>$BAKONG_DATA</c> if set, else the per-user data directory: <c>$XDG_DATA_HOME/bakong</c> or
/// <c>~/.local/share/bakong</c> on Linux, <c>%LOCALAPPDATA%\Bakong</c> on Windows. The gateway's <c>Storage:Path</c>
/// and the command's <c>--data</c> override it.
/// </summary>
/// <remarks>
/// Not the working directory: <c>dotnet run --project src/Bakong.Gateway</c> runs the gateway in its project folder,
/// while the commands run wherever the shell is, so a relative default gave them two different folders.
/// </remarks>
public static class BakongDataDirectory
{
    /// <summary>The environment variable that moves the default for the gateway and the commands alike.</summary>
    public const string Variable = "BAKONG_DATA";

    /// <summary>The payment database, <c>Storage:Path</c>'s default file name.</summary>
    public const string PaymentsFileName = "bakong.db";

    /// <summary>The token store (its key file is <c>bakong-tokens.db.key</c> beside it).</summary>
    public const string TokensFileName = "bakong-tokens.db";

    /// <summary>The Bakong call audit.</summary>
    public const string AuditFileName = "bakong-audit.db";

    /// <summary>The gateway's clients (terminals, kiosks, operators) and the hashes of their API keys.</summary>
    public const string ClientsFileName = "bakong-clients.db";

    /// <summary>
    /// Which Bakong environment and merchant account the gateway that last started on the directory served
    /// (<see cref="GatewayIdentity"/>): <c>bakong backup</c> and <c>bakong restore</c> compare backups with it.
    /// </summary>
    public const string IdentityFileName = "bakong-gateway.json";

    /// <summary>The default data directory, as <see cref="Resolve"/> gives it for this process's environment.</summary>
    public static string Default => Resolve(
        Environment.GetEnvironmentVariable(Variable),
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
        OperatingSystem.IsWindows());

    /// <summary>A file of the default data directory.</summary>
    public static string DefaultFile(string fileName) => Path.Combine(Default, fileName);

    /// <summary>The rule itself, for given inputs.</summary>
    /// <param name="variable">The value of <c>BAKONG_DATA</c>; null or blank when unset.</param>
    /// <param name="localApplicationData">The per-user data directory of the platform (.NET reads <c>XDG_DATA_HOME</c> for it on Linux); empty when the user has no home.</param>
    /// <param name="windows">Windows names its application folders in title case.</param>
    internal static string Resolve(string? variable, string localApplicationData, bool windows)
    {
        if (!string.IsNullOrWhiteSpace(variable))
        {
            return variable;
        }

        // No home at all (a service account without one): the working directory's data folder, as before.
        return string.IsNullOrEmpty(localApplicationData) ? "data" : Path.Combine(localApplicationData, windows ? "Bakong" : "bakong");
    }
}
