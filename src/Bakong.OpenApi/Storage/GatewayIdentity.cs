using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bakong.OpenApi.Storage;

/// <summary>
/// What the data of a directory belongs to: the Bakong environment (<c>Sandbox</c>, <c>Sit</c>, <c>Production</c>) and
/// the receiving merchant account of the gateway that last started on it. The gateway writes it at every start
/// (<see cref="BakongDataDirectory.IdentityFileName"/>); a backup carries it, and <c>bakong restore</c> refuses to put a
/// backup of one environment or account into a directory of another without <c>--force</c>. It also records the name
/// of the payment file (<c>Storage:Path</c> may name it other than <c>bakong.db</c>), so <c>bakong backup</c> finds it
/// and <c>bakong restore</c> writes it where the gateway looks.
/// </summary>
/// <param name="Environment">The Bakong environment.</param>
/// <param name="MerchantAccount">The receiving merchant account.</param>
/// <param name="PaymentsFile">The payment database's file name in the directory; null means <see cref="BakongDataDirectory.PaymentsFileName"/>.</param>
public sealed record GatewayIdentity(string Environment, string MerchantAccount, string? PaymentsFile = null)
{
    /// <summary>The file name of the payment database in the directory.</summary>
    public string PaymentsFileName => PaymentsFile ?? BakongDataDirectory.PaymentsFileName;

    /// <summary>
    /// The payment file of <paramref name="dataDirectory"/>: the name its gateway recorded, else <c>bakong.db</c>.
    /// </summary>
    public static string PaymentsFileIn(string dataDirectory) => Read(dataDirectory)?.PaymentsFileName ?? BakongDataDirectory.PaymentsFileName;

    /// <summary>
    /// Whether <paramref name="name"/> can be the payment file's name: a plain file name (no folder), not one of the other
    /// files of the data directory. A name read from a file or a backup is checked with it before it is used.
    /// </summary>
    public static bool IsPaymentsFileName(string? name) =>
        !string.IsNullOrWhiteSpace(name) && name.Length <= 255 && Path.GetFileName(name) == name && name is not "." and not ".."
        && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && !name.Any(char.IsControl)
        && name is not BakongDataDirectory.TokensFileName and not BakongDataDirectory.AuditFileName and not BakongDataDirectory.ClientsFileName
            and not BakongDataDirectory.IdentityFileName and not (BakongDataDirectory.TokensFileName + ".key")
        && !name.EndsWith(".lock", StringComparison.Ordinal);

    /// <summary>The identity recorded in <paramref name="dataDirectory"/>; null when none is (no gateway started there yet) or it is unreadable.</summary>
    public static GatewayIdentity? Read(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, BakongDataDirectory.IdentityFileName);
        try
        {
            return File.Exists(path) ? Valid(JsonSerializer.Deserialize(File.ReadAllBytes(path), BackupJson.Default.GatewayIdentity)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Records it in <paramref name="dataDirectory"/>, replacing the file whole (written beside, then renamed).</summary>
    public void Write(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, BakongDataDirectory.IdentityFileName);
        PrivateFiles.CreateDirectoryFor(path);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, BackupJson.Default.GatewayIdentity));
        File.Move(temporary, path, overwrite: true);
        PrivateFiles.Restrict(path);
    }

    /// <summary>How it differs from <paramref name="other"/>, for people ("environment Sandbox, not Production"); null when it does not.</summary>
    public string? Difference(GatewayIdentity other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var differences = new List<string>(2);
        if (!string.Equals(Environment, other.Environment, StringComparison.OrdinalIgnoreCase))
        {
            differences.Add($"environment {Environment}, not {other.Environment}");
        }

        if (!string.Equals(MerchantAccount, other.MerchantAccount, StringComparison.OrdinalIgnoreCase))
        {
            differences.Add($"merchant account {MerchantAccount}, not {other.MerchantAccount}");
        }

        return differences.Count == 0 ? null : string.Join(" and ", differences);
    }

    private static GatewayIdentity? Valid(GatewayIdentity? identity) =>
        identity is { Environment.Length: > 0, MerchantAccount: not null } && (identity.PaymentsFile is null || IsPaymentsFileName(identity.PaymentsFile)) ? identity : null;
}

/// <summary>The JSON of the backup manifest and the identity file: lowerCamelCase, indented for people.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GatewayIdentity))]
[JsonSerializable(typeof(BackupManifest))]
internal sealed partial class BackupJson : JsonSerializerContext
{
}
