using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Limits;

/// <summary>
/// The error of a limit: RESOURCE_EXHAUSTED. Beside <see cref="Rpc.RpcErrors"/>, which maps the domain's errors, so
/// the limits stand below the RPC layer that uses them (the payment service applies the pending cap).
/// </summary>
internal static class LimitErrors
{
    /// <summary>
    /// A limit of this caller is reached (<c>Limits:*</c>): RESOURCE_EXHAUSTED with <c>google.rpc.RetryInfo</c> (when to
    /// try again) and <c>google.rpc.QuotaFailure</c> (whose limit, which one). The same delay goes into a
    /// <c>Retry-After</c> header, which REST clients read beside the 429 that the transcoding makes of the status.
    /// </summary>
    /// <param name="context">The call, for the header.</param>
    /// <param name="retryAfter">When the call may succeed; at least a second.</param>
    /// <param name="message">What was refused and what the limit is.</param>
    /// <param name="subject">Whose limit: a client id, an address, a terminal id (each checked before it gets here).</param>
    /// <param name="limit">Which limit.</param>
    public static RpcException ResourceExhausted(ServerCallContext context, TimeSpan retryAfter, string message, string subject, string limit)
    {
        ArgumentNullException.ThrowIfNull(context);
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        if (context.GetHttpContext() is { Response.HasStarted: false } http)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        var quota = new QuotaFailure { Violations = { new QuotaFailure.Types.Violation { Subject = subject, Description = limit } } };
        var retry = new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(seconds)) };
        return new Google.Rpc.Status { Code = (int)Code.ResourceExhausted, Message = message, Details = { Any.Pack(retry), Any.Pack(quota) } }
            .ToRpcException();
    }
}
