using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Limits;

/// <summary>
/// <c>Limits:*</c> — what one caller may take of the gateway, and the connection limits of both endpoints. A caller is
/// its client (its API key) or, with <c>Auth:Mode</c> <c>None</c>, its IP address. The defaults are for a shop: a
/// till makes a payment every few seconds at its busiest and watches the one on its screen; anything far past that is
/// a bug or an attack, and must not slow the other tills (docs/operations.md says why each number is what it is).
/// </summary>
internal sealed class GatewayLimitsOptions
{
    public const string Section = "Limits";

    /// <summary>The sustained rate of <c>CreatePayment</c> calls per caller (a token bucket refilled at this rate).</summary>
    [Range(1, 1_000_000)]
    public int CreatePaymentsPerMinute { get; set; } = 60;

    /// <summary>How many <c>CreatePayment</c> calls a caller may make at once after a quiet spell (the bucket's size).</summary>
    [Range(1, 1_000_000)]
    public int CreatePaymentBurst { get; set; } = 20;

    /// <summary>Pending payments one terminal may have; a create past it is refused until one ends.</summary>
    [Range(1, 1_000_000)]
    public int MaxPendingPerTerminal { get; set; } = 20;

    /// <summary><c>WatchPayment</c> streams one caller may have open at once.</summary>
    [Range(1, 1_000_000)]
    public int MaxWatchesPerCaller { get; set; } = 20;

    /// <summary>Open connections on each endpoint (Kestrel's <c>MaxConcurrentConnections</c>, counted per endpoint); more are closed at once.</summary>
    [Range(1, 1_000_000)]
    public long MaxConnections { get; set; } = 256;

    /// <summary>Concurrent HTTP/2 streams (calls) on one connection; more are refused until one ends.</summary>
    [Range(1, 10_000)]
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>How long a connection with no call in flight is kept open.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a client may take to send a request's headers.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The slowest a request body may arrive, in bytes a second, after <see cref="MinRequestBodyGracePeriod"/>.</summary>
    [Range(1, 1_000_000)]
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest request body (a payment request is well under 4 KiB).</summary>
    [Range(1024, 100 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>An HTTP/2 connection silent this long is pinged, so a till that vanished does not hold its watches.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Http2KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A ping unanswered this long closes the connection.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Http2KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The time to earn one more <c>CreatePayment</c> call.</summary>
    public TimeSpan CreatePaymentInterval => TimeSpan.FromMinutes(1) / CreatePaymentsPerMinute;

    /// <summary>Sets Kestrel's limits from these: the one place they are chosen.</summary>
    public void ApplyTo(KestrelServerOptions kestrel)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        var limits = kestrel.Limits;
        limits.MaxConcurrentConnections = MaxConnections;
        limits.MaxConcurrentUpgradedConnections = MaxConnections;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        limits.MinRequestBodyDataRate = new MinDataRate(MinRequestBodyBytesPerSecond, MinRequestBodyGracePeriod);
        limits.MaxRequestBodySize = MaxRequestBodyBytes;
        limits.Http2.MaxStreamsPerConnection = MaxStreamsPerConnection;
        limits.Http2.KeepAlivePingDelay = Http2KeepAlivePingDelay;
        limits.Http2.KeepAlivePingTimeout = Http2KeepAlivePingTimeout;
    }
}

[OptionsValidator]
internal sealed partial class GatewayLimitsOptionsValidator : IValidateOptions<GatewayLimitsOptions>
{
}
