namespace Bakong.OpenApi.Client;

/// <summary>
/// One HTTP exchange with Bakong, classified: either <see cref="Envelope"/> is Bakong's answer (<see cref="Fault"/>
/// null), or <see cref="Fault"/> says why there is no answer (the envelope, if any, is kept for its message).
/// </summary>
internal sealed record HttpAttempt(int? HttpStatus, BakongEnvelope? Envelope, BakongFault? Fault)
{
    /// <summary>Worth another attempt right away: the server or the network hiccupped.</summary>
    public bool IsTransient => Fault?.Kind is BakongFaultKind.ServerError or BakongFaultKind.RateLimited
        or BakongFaultKind.Unreachable or BakongFaultKind.Timeout;

    /// <summary>HTTP 404 without an envelope: an unknown path (list endpoint refused) or a bare "not found".</summary>
    public bool IsBareNotFound => HttpStatus == 404 && Envelope is null;

    /// <summary>HTTP 403 or 404 without an envelope: what a refused md5-list endpoint looks like.</summary>
    public bool IsRefused => HttpStatus is 403 or 404 && Envelope is null;

    /// <summary>The audit's one-word outcome.</summary>
    public string Outcome => Fault is { } f ? f.Kind.ToString()
        : Envelope is { ResponseCode: 0 } ? "Success"
        : "BakongError";

    public static HttpAttempt Faulted(BakongFaultKind kind, string message, int? httpStatus = null) =>
        new(httpStatus, null, new BakongFault(kind, message, httpStatus));

    public static BakongFault Malformed(string message, int? httpStatus = null) =>
        new(BakongFaultKind.Malformed, message, httpStatus);

    /// <summary>The one place HTTP status, body and envelope become an answer or a fault.</summary>
    public static HttpAttempt Classify(int status, string? mediaType, string body)
    {
        var envelope = BakongJson.TryReadEnvelope(body);

        if (status == 401 || envelope?.ErrorCode == 6)
        {
            var said = envelope?.ResponseMessage is { Length: > 0 } m ? $": {m}" : ".";
            return new(status, envelope, new BakongFault(
                BakongFaultKind.Unauthorized,
                $"Bakong rejected the token (HTTP {status}{(envelope?.ErrorCode == 6 ? ", errorCode 6" : "")}){said} Renew it (bakong token renew) or set a new one (bakong token set).",
                status));
        }

        if (status == 429)
        {
            return new(status, envelope, new BakongFault(BakongFaultKind.RateLimited, "Bakong answered HTTP 429 Too Many Requests.", status));
        }

        if (status >= 500)
        {
            return new(status, envelope, new BakongFault(BakongFaultKind.ServerError, $"Bakong answered HTTP {status} (server error).", status));
        }

        var isSuccessStatus = status is >= 200 and < 300;
        if (envelope is not null && (isSuccessStatus || (envelope.ResponseCode != 0 && envelope.ErrorCode is not null)))
        {
            return new(status, envelope, null);
        }

        if (status == 403)
        {
            var what = IsHtml(mediaType, body) ? "an HTML page" : "a body that is not a Bakong answer";
            return Faulted(
                BakongFaultKind.GeoBlocked,
                $"Bakong answered HTTP 403 Forbidden with {what}: the production Bakong API only accepts requests from Cambodian IP addresses. "
                + "Call it from a server located in Cambodia, or use the SIT or sandbox environment.",
                status);
        }

        return isSuccessStatus
            ? new(status, null, Malformed($"Bakong answered HTTP {status} with a body that is not the documented envelope.", status))
            : new(status, null, Malformed($"Bakong answered HTTP {status} without a Bakong envelope.", status));
    }

    private static bool IsHtml(string? mediaType, string body) =>
        string.Equals(mediaType, "text/html", StringComparison.OrdinalIgnoreCase)
        || body.AsSpan().TrimStart().StartsWith("<", StringComparison.Ordinal);
}
