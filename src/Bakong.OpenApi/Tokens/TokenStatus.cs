using Bakong.OpenApi.Client;

namespace Bakong.OpenApi.Tokens;

/// <summary>Where the current token stands.</summary>
public enum TokenState
{
    /// <summary>No token is set for this environment.</summary>
    Missing,

    /// <summary>A token is set and not within the warning window (or its expiry is unknown).</summary>
    Healthy,

    /// <summary>The token expires within the warning window (3 days by default): renew it.</summary>
    ExpiringSoon,

    /// <summary>The token's <c>exp</c> has passed; Bakong answers 401.</summary>
    Expired,
}

/// <summary>What <c>bakong token status</c> shows. Never carries the token itself.</summary>
/// <param name="State">Missing, healthy, expiring soon or expired.</param>
/// <param name="Environment">Which Bakong the token is for.</param>
/// <param name="ExpiresAt">From the JWT <c>exp</c> claim; null when unknown or no token.</param>
/// <param name="TimeLeft">Until <paramref name="ExpiresAt"/>, negative once expired.</param>
/// <param name="Email">The e-mail renewals use, when known.</param>
/// <param name="SetAt">When the token was set or last renewed.</param>
/// <param name="Renewed">Whether it came from a renewal rather than being set or verified.</param>
public sealed record TokenStatus(
    TokenState State,
    BakongEnvironment Environment,
    DateTimeOffset? ExpiresAt,
    TimeSpan? TimeLeft,
    string? Email,
    DateTimeOffset? SetAt,
    bool Renewed)
{
    public bool HasToken => State != TokenState.Missing;

    /// <summary>A token Bakong will accept: set and not expired (expiring soon still works).</summary>
    public bool IsUsable => State is TokenState.Healthy or TokenState.ExpiringSoon;

    /// <summary>
    /// <see cref="Email"/> as the admin API shows it (<c>m***@shop.kh</c>): enough to tell which address renewals use,
    /// not the address; null when none.
    /// </summary>
    public string? MaskedEmail => Email is { } email && email.IndexOf('@', StringComparison.Ordinal) is > 0 and var at
        ? email[0] + "***" + email[at..]
        : Email is null ? null : "***";

    /// <summary>Whole days left (rounded down; negative once expired), or null when unknown.</summary>
    public int? DaysLeft => TimeLeft is { } left ? (int)Math.Floor(left.TotalDays) : null;
}
