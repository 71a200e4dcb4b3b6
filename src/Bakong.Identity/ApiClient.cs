namespace Bakong.Identity;

/// <summary>
/// One client of the gateway as the client store keeps it: never its key, which is shown once when it is made and
/// stored only as a hash.
/// </summary>
/// <param name="Id">The client id, also the key's prefix (<see cref="ApiKey"/>).</param>
/// <param name="Name">What the operator called it ("Till 1"); may be empty.</param>
/// <param name="Role">What it is.</param>
/// <param name="TerminalIds">The terminal ids a terminal or kiosk is bound to; empty for an operator, who has all.</param>
/// <param name="CreatedAt">When it was added.</param>
/// <param name="RevokedAt">When its key was revoked; null while it is valid.</param>
public sealed record ApiClient(
    string Id,
    string Name,
    ClientRole Role,
    IReadOnlyList<string> TerminalIds,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;

    /// <summary>
    /// The SHA-256 thumbprint of the TLS client certificate the client is bound to (<see cref="ClientCertificate"/>);
    /// null when it is not bound. A bound client's key is accepted only on a connection that presents that certificate.
    /// </summary>
    public string? CertificateThumbprint { get; init; }

    /// <summary>Whether it may act for <paramref name="terminalId"/>: an operator for all, the others for those bound.</summary>
    public bool Covers(string terminalId) =>
        Role == ClientRole.Operator || TerminalIds.Contains(terminalId, StringComparer.Ordinal);
}

/// <summary>A client just made, with its key: the only time the key exists outside the caller's hands.</summary>
/// <param name="Client">The stored client.</param>
/// <param name="Key">The full API key, to show once.</param>
public sealed record NewApiClient(ApiClient Client, string Key)
{
    // The key never reaches a log through a record's generated ToString.
    public override string ToString() => $"NewApiClient {{ Client = {Client}, Key = *** }}";
}
