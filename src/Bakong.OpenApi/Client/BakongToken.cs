namespace Bakong.OpenApi.Client;

/// <summary>
/// A Bakong API token (an HS256 JWT) and its expiry from the JWT <c>exp</c> claim. The value never appears in
/// <see cref="ToString"/>, logs, error messages or audit rows.
/// </summary>
public sealed class BakongToken(string value, DateTimeOffset? expiresAt)
{
    /// <summary>The bearer value. Send it; never log it.</summary>
    public string Value { get; } = value ?? throw new ArgumentNullException(nameof(value));

    /// <summary>From the JWT <c>exp</c> claim; null when the token has none or is not a JWT.</summary>
    public DateTimeOffset? ExpiresAt { get; } = expiresAt;

    public override string ToString() => ExpiresAt is { } e ? $"BakongToken(expires {e:u})" : "BakongToken(no expiry)";
}
