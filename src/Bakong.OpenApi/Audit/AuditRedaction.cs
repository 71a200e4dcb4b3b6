using System.Text.RegularExpressions;

namespace Bakong.OpenApi.Audit;

/// <summary>
/// Defence in depth: the client never puts a token in a record, but should a JWT-shaped string slip into a subject
/// or an echoed response message, it is replaced before the record is logged or stored.
/// </summary>
internal static partial class AuditRedaction
{
    public const string Redacted = "[redacted]";

    public static string? Scrub(string? text) =>
        text is null || !text.Contains("eyJ", StringComparison.Ordinal) ? text : JwtLike().Replace(text, Redacted);

    public static BakongCallRecord Scrub(BakongCallRecord record) => !MayHoldToken(record) ? record : record with
    {
        Endpoint = Scrub(record.Endpoint) ?? string.Empty,
        Subject = Scrub(record.Subject),
        ResponseMessage = Scrub(record.ResponseMessage),
        Outcome = Scrub(record.Outcome) ?? string.Empty,
    };

    private static bool MayHoldToken(BakongCallRecord record) =>
        record.Endpoint.Contains("eyJ", StringComparison.Ordinal)
        || record.Subject?.Contains("eyJ", StringComparison.Ordinal) == true
        || record.ResponseMessage?.Contains("eyJ", StringComparison.Ordinal) == true
        || record.Outcome.Contains("eyJ", StringComparison.Ordinal);

    // Base64url JSON objects start "eyJ" ('{"'); a header, a payload and an optional signature.
    [GeneratedRegex(@"eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]*)?", RegexOptions.CultureInvariant)]
    private static partial Regex JwtLike();
}
