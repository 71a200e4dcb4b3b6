namespace Bakong.OpenApi.Audit;

/// <summary>Receives one record per HTTP attempt the client makes to Bakong (every attempt, retries included).</summary>
public interface IBakongCallAudit
{
    void Record(BakongCallRecord record);
}

/// <summary>
/// One call to Bakong. <see cref="Subject"/> is what the call was about (an md5, a hash, a reference, an account id,
/// a count of md5s for list calls) — never the token, never an e-mail verification code.
/// </summary>
public sealed record BakongCallRecord(
    DateTimeOffset Time,
    string Endpoint,
    string? Subject,
    int? HttpStatus,
    int? ResponseCode,
    int? ErrorCode,
    string? ResponseMessage,
    TimeSpan Latency,
    int Attempt,
    string Outcome);
