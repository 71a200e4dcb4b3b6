namespace Bakong.Sandbox;

/// <summary>
/// Faults the sandbox injects into the Bakong API (<c>/v1/...</c>, never the control API). Rates are probabilities
/// from 0 to 1 drawn from the sandbox's seeded <see cref="Random"/>; 1 means every call.
/// </summary>
public sealed record SandboxFaults
{
    /// <summary>No faults.</summary>
    public static SandboxFaults None { get; } = new();

    /// <summary>Added before every answer (waited on the sandbox's <see cref="TimeProvider"/>).</summary>
    public int LatencyMs { get; init; }

    /// <summary>Share of calls answered with <see cref="ServerErrorStatus"/> and an nginx HTML page.</summary>
    public double ServerErrorRate { get; init; }

    /// <summary>500 to 599.</summary>
    public int ServerErrorStatus { get; init; } = 500;

    /// <summary>Share of calls answered 429 Too Many Requests (nginx HTML).</summary>
    public double TooManyRequestsRate { get; init; }

    /// <summary>Share of calls never answered: held until the client gives up (or the hold limit passes: 504).</summary>
    public double TimeoutRate { get; init; }

    /// <summary>Share of answers whose JSON is cut in half (HTTP 200, application/json).</summary>
    public double MalformedJsonRate { get; init; }

    /// <summary><c>check_transaction_by_md5_list</c> answers 403 with nginx HTML, as reported on production.</summary>
    public bool Md5ListForbidden { get; init; }

    /// <summary>Every endpoint answers 403 with nginx HTML: the geo-block non-Cambodian addresses see.</summary>
    public bool GeoBlocked { get; init; }

    /// <summary><c>generate_deeplink_by_qr</c> answers errorCode 4: the deeplink provider failed.</summary>
    public bool DeeplinkProviderError { get; init; }

    internal string? Validate()
    {
        if (LatencyMs < 0)
        {
            return "latencyMs must not be negative";
        }

        if (ServerErrorStatus is < 500 or > 599)
        {
            return "serverErrorStatus must be 500-599";
        }

        foreach (var (name, rate) in new[]
        {
            ("serverErrorRate", ServerErrorRate), ("tooManyRequestsRate", TooManyRequestsRate),
            ("timeoutRate", TimeoutRate), ("malformedJsonRate", MalformedJsonRate),
        })
        {
            if (double.IsNaN(rate) || rate is < 0 or > 1)
            {
                return name + " must be between 0 and 1";
            }
        }

        return null;
    }
}

/// <summary>What the faults say about one call, drawn once when it arrives.</summary>
internal readonly record struct FaultDecision(
    bool Forbidden,
    TimeSpan Latency,
    bool Timeout,
    bool TooManyRequests,
    int ServerErrorStatus,
    bool Malformed);
