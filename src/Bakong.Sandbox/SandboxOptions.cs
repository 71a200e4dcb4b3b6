using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Bakong.Sandbox;

/// <summary>How the simulated Bakong behaves. Faults are not here: they change at run time through the control API.</summary>
public sealed class SandboxOptions
{
    /// <summary>Lifetime of issued tokens; Bakong's is 90 days.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Seed of the one <see cref="Random"/> behind fault rates, codes and ids, so runs repeat.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>
    /// The HS256 signing key as base64 (at least 32 bytes). Empty: a random key per instance, so tokens from one
    /// sandbox run are worthless to the next.
    /// </summary>
    public string? JwtSecret { get; set; }

    /// <summary>Prefix of the short links <c>generate_deeplink_by_qr</c> returns.</summary>
    [Required]
    [Url]
    public string DeeplinkBaseUrl { get; set; } = "https://bakongsandbox.page.link/";

    /// <summary>The payer's Bakong account when the control API is not told one (a bank's settlement account).</summary>
    [Required]
    public string DefaultFromAccountId { get; set; } = "abaakhppxxx@abaa";

    /// <summary>How long the timeout fault holds a request the client never gives up on; then nginx-style 504.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan TimeoutHoldLimit { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Accounts <c>check_bakong_account</c> knows besides the receivers of registered QRs.</summary>
    public IList<string> KnownAccounts { get; } = [];
}

[OptionsValidator]
internal sealed partial class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
}
