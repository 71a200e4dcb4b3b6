using System.ComponentModel.DataAnnotations;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Storage;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Tokens;

/// <summary>Where the token is kept, which Bakong it is for, and when to warn and renew.</summary>
public sealed class BakongTokenOptions
{
    /// <summary>Which Bakong the token belongs to; each environment keeps its own token in the store.</summary>
    public BakongEnvironment Environment { get; set; } = BakongEnvironment.Sandbox;

    /// <summary>
    /// The LiteDB file holding the encrypted token (by default in <see cref="BakongDataDirectory"/>; the gateway puts it
    /// beside <c>Storage:Path</c>). The AES key is created beside it as <c>&lt;path&gt;.key</c> (0600) unless
    /// <see cref="KeyPath"/> says otherwise; keep both, or neither, in a backup.
    /// </summary>
    [Required]
    public string DatabasePath { get; set; } = BakongDataDirectory.DefaultFile(BakongDataDirectory.TokensFileName);

    /// <summary>
    /// The token encryption key's file (created 0600 with a fresh key if missing; its folder 0700 if missing). Empty:
    /// <c>&lt;DatabasePath&gt;.key</c>. Put it outside the data directory (another disk, a secrets mount) so that a copy
    /// of the data directory or of its backups does not hold the token; then back the key up on its own.
    /// </summary>
    public string? KeyPath { get; set; }

    /// <summary>The key file in use: <see cref="KeyPath"/>, else <c>&lt;DatabasePath&gt;.key</c>, as a full path.</summary>
    public string ResolvedKeyPath => KeyFor(DatabasePath, KeyPath);

    /// <summary>The key file of a store at <paramref name="databasePath"/> given a configured <paramref name="keyPath"/> (empty: beside it).</summary>
    public static string KeyFor(string databasePath, string? keyPath) =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(keyPath) ? databasePath + ".key" : keyPath);

    /// <summary>
    /// The e-mail registered with Bakong, used by <c>/v1/renew_token</c>. When empty, the one saved by
    /// <c>bakong token register</c> or <c>set --email</c> is used; with neither, renewal is not possible.
    /// </summary>
    [EmailAddress]
    [MaxLength(30)]
    public string? Email { get; set; }

    /// <summary>How long before expiry the token counts as expiring soon (NBC e-mails a reminder 3 days before).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "60.00:00:00")]
    public TimeSpan WarningWindow { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Renew through <c>/v1/renew_token</c> on entering the warning window.</summary>
    public bool AutoRenew { get; set; } = true;

    /// <summary>How often the renewal service looks at the token when nothing is due sooner.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>First wait after a failed automatic renewal; doubles on each further failure.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RenewalRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest wait between automatic renewal attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RenewalRetryMaxDelay { get; set; } = TimeSpan.FromHours(1);
}

[OptionsValidator]
internal sealed partial class BakongTokenOptionsValidator : IValidateOptions<BakongTokenOptions>
{
}
