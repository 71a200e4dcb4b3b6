namespace Bakong.OpenApi.Audit;

/// <summary>
/// Receives one record per audited call to the gateway's own API (a create, a cancel, an admin action), kept in the
/// same audit store as the calls to Bakong, with the same retention.
/// </summary>
public interface IApiCallAudit
{
    void Record(ApiCallRecord record);
}

/// <summary>
/// One call to the gateway's API: who (<see cref="ClientId"/>, <c>-</c> without keys or before a key was accepted),
/// from where (<see cref="Peer"/>, the transport's address), what (<see cref="Action"/>, the method's name, and
/// <see cref="Target"/>, the payment or client it was about when known) and how it ended (<see cref="Outcome"/>, the
/// status code's name). Never a key or anything else secret; every field is bounded by whoever records it.
/// </summary>
public sealed record ApiCallRecord(
    DateTimeOffset Time,
    string ClientId,
    string Peer,
    string Action,
    string? Target,
    string Outcome)
{
    /// <summary>
    /// How the caller proved who it is: <c>key</c>, <c>key+certificate</c> (a key bound to a TLS client certificate,
    /// presented), <c>none</c> (a gateway without keys), or <c>-</c> when no caller was established (and in records
    /// written before this was kept).
    /// </summary>
    public string Auth { get; init; } = "-";
}
