using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Bakong.Gateway.Limits;

/// <summary>
/// Applies the per-caller limits before the service runs (after <see cref="Access.AuthenticationInterceptor"/>, which
/// says who the caller is): the <c>CreatePayment</c> rate and the open <c>WatchPayment</c>, <c>WatchTerminal</c> and
/// <c>AdminService.WatchPayments</c> streams. Past either the
/// call is RESOURCE_EXHAUSTED with <c>google.rpc.RetryInfo</c> (REST 429 with <c>Retry-After</c>). The pending cap
/// per terminal is the creation's own (<see cref="Rpc.PaymentGrpcService"/>): only it can tell a replay from a new payment.
/// </summary>
internal sealed class LimitsInterceptor(CallerLimits limits, ILogger<LimitsInterceptor> logger) : Interceptor
{
    public const string CreatePayment = "/bakong.payments.v1.PaymentService/CreatePayment";
    public const string WatchPayment = "/bakong.payments.v1.PaymentService/WatchPayment";
    public const string WatchTerminal = "/bakong.payments.v1.PaymentService/WatchTerminal";
    public const string WatchPayments = "/bakong.admin.v1.AdminService/WatchPayments";

    /// <summary>A refused watch may try again this soon: a stream ends when its payment does, or its client goes.</summary>
    private static readonly TimeSpan s_watchRetry = TimeSpan.FromSeconds(5);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        if (context.Method == CreatePayment)
        {
            var key = CallerLimits.KeyOf(context);
            if (limits.TryCreate(key) is { } wait)
            {
                LimitsLog.CreateRateExceeded(logger, key, wait);
                throw LimitErrors.ResourceExhausted(
                    context,
                    wait,
                    $"Too many CreatePayment calls: at most {limits.Options.CreatePaymentsPerMinute} a minute (bursts of {limits.Options.CreatePaymentBurst}) per caller. Retry after the delay in RetryInfo.",
                    key,
                    "CreatePayment calls per minute");
            }
        }

        return continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        // One count for every watch: each open stream holds a subscription and an HTTP/2 stream alike.
        if (context.Method is not (WatchPayment or WatchTerminal or WatchPayments))
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            return;
        }

        var key = CallerLimits.KeyOf(context);
        using var watch = limits.TryWatch(key);
        if (watch is null)
        {
            LimitsLog.TooManyWatches(logger, key, limits.Options.MaxWatchesPerCaller);
            throw LimitErrors.ResourceExhausted(
                context,
                s_watchRetry,
                $"Too many open watch streams (WatchPayment, WatchTerminal, WatchPayments): at most {limits.Options.MaxWatchesPerCaller} per caller. End one (or let its payment end) first.",
                key,
                "open watch streams");
        }

        await continuation(request, responseStream, context).ConfigureAwait(false);
    }
}

/// <summary>The limits' log events (2580–2589). At Debug: a flood must not become a flood of log lines.</summary>
internal static partial class LimitsLog
{
    [LoggerMessage(EventId = 2580, EventName = "CreateRateExceeded", Level = LogLevel.Debug,
        Message = "Refused CreatePayment from {Caller}: past its rate (retry in {RetryAfter})")]
    public static partial void CreateRateExceeded(ILogger logger, string caller, TimeSpan retryAfter);

    [LoggerMessage(EventId = 2581, EventName = "TooManyWatches", Level = LogLevel.Debug,
        Message = "Refused a watch from {Caller}: {Max} streams open already")]
    public static partial void TooManyWatches(ILogger logger, string caller, int max);

    [LoggerMessage(EventId = 2582, EventName = "TooManyPending", Level = LogLevel.Debug,
        Message = "Refused CreatePayment for terminal {TerminalId}: {Max} payments pending already")]
    public static partial void TooManyPending(ILogger logger, string terminalId, int max);
}
