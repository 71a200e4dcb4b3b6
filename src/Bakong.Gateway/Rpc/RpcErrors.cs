using System.Globalization;
using Google.Protobuf.Reflection;
using Bakong.Grpc.Payments.V1;
using Bakong.OpenApi.Tokens;
using Bakong.Payments.Storage;
using Bakong.Payments.Writing;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// The one place where a call that could not be processed becomes a gRPC status, with the rich details
/// <c>error_reason.proto</c> promises: <c>google.rpc.BadRequest</c> for INVALID_ARGUMENT, <c>google.rpc.ErrorInfo</c>
/// (domain <c>bakong.payments.v1</c>) for NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED and UNAVAILABLE.
/// </summary>
internal static class RpcErrors
{
    public const string Domain = "bakong.payments.v1";

    /// <summary>The ErrorInfo domain of the display service's errors.</summary>
    public const string DisplayDomain = "bakong.display.v1";

    private const string ReasonPrefix = "ERROR_REASON_";

    /// <summary>
    /// The detail messages the errors carry: REST (JSON transcoding) needs them to write the details as JSON. RetryInfo
    /// and QuotaFailure are the limits' (<see cref="Limits.LimitErrors"/>).
    /// </summary>
    public static TypeRegistry DetailTypes { get; } = TypeRegistry.FromMessages(
        BadRequest.Descriptor, ErrorInfo.Descriptor, RetryInfo.Descriptor, QuotaFailure.Descriptor);

    public static RpcException InvalidArgument(IReadOnlyCollection<Payments.FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        var badRequest = new BadRequest();
        foreach (var violation in violations)
        {
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = violation.Field, Description = violation.Description });
        }

        var message = "Invalid request: " + string.Join("; ", violations.Select(v => v.Field + ": " + v.Description)) + ".";
        return new Google.Rpc.Status { Code = (int)Code.InvalidArgument, Message = message, Details = { Any.Pack(badRequest) } }.ToRpcException();
    }

    public static RpcException InvalidArgument(string field, string description) => InvalidArgument([new Payments.FieldViolation(field, description)]);

    /// <summary>The request message is not protobuf (or not of the method's type): there is no field to name.</summary>
    public static RpcException UnparseableRequest() =>
        new(new global::Grpc.Core.Status(StatusCode.InvalidArgument, "The request message could not be parsed."));

    /// <remarks>The id is in the metadata only: echoed once, as the client sent it (an <see cref="Payments.Identifier"/>, checked before the lookup).</remarks>
    public static RpcException PaymentNotFound(string paymentId) => Error(
        Code.NotFound,
        ErrorReason.PaymentNotFound,
        "No payment has this payment_id.",
        ("payment_id", paymentId));

    /// <param name="paymentId">The payment the request id was first used for.</param>
    /// <param name="fields">The differing request fields, in field-number order.</param>
    public static RpcException RequestIdConflict(string paymentId, IReadOnlyList<string> fields) => Error(
        Code.AlreadyExists,
        ErrorReason.RequestIdConflict,
        "The request_id was already used with other parameters (" + string.Join(", ", fields) + ") for payment '" + paymentId + "'.",
        ("payment_id", paymentId),
        ("conflicting_fields", string.Join(',', fields)));

    /// <summary>
    /// The request id was first used for a payment the caller may not see (another terminal's): ALREADY_EXISTS with the
    /// same reason, but neither that payment's id nor which of its fields differ, which would tell one terminal about
    /// another's sale.
    /// </summary>
    public static RpcException RequestIdTaken() => Error(
        Code.AlreadyExists,
        ErrorReason.RequestIdConflict,
        "The request_id is already used by another terminal's payment: choose request ids unique to this terminal (for example a UUID).",
        ("conflicting_fields", "request_id"));

    public static RpcException PaymentNotPending(string paymentId, Payment.Types.State state)
    {
        var name = StateName(state);
        return Error(
            Code.FailedPrecondition,
            ErrorReason.PaymentNotPending,
            "Payment '" + paymentId + "' is " + name + ", not PENDING: only a pending payment can be cancelled.",
            ("payment_id", paymentId),
            ("state", name));
    }

    /// <summary>
    /// The write path lost every race to save a change (<see cref="PaymentConflictException"/>): nothing was saved, and
    /// the same call may succeed now. The id is in the metadata only, as for NOT_FOUND.
    /// </summary>
    public static RpcException ConcurrentChange(string paymentId) => Error(
        Code.Aborted,
        ErrorReason.ConcurrentChange,
        "The payment was changed by the gateway while this call tried to change it; nothing was saved. Call again.",
        ("payment_id", paymentId));

    /// <summary>The payment needs no resolution, or is still pending; the reason is the domain's (ids and states only).</summary>
    public static RpcException NotAnException(string paymentId, Payment.Types.State state, string reason) => Error(
        Code.FailedPrecondition,
        ErrorReason.NotAnException,
        "Payment '" + paymentId + "' cannot be resolved: " + reason + ".",
        ("payment_id", paymentId),
        ("state", StateName(state)));

    /// <summary>A resolution is applied once: this names the one recorded.</summary>
    public static RpcException AlreadyResolved(string paymentId, string resolution, string resolvedBy) => Error(
        Code.FailedPrecondition,
        ErrorReason.AlreadyResolved,
        "Payment '" + paymentId + "' is resolved already (" + resolution + " by " + resolvedBy + "); a resolution is applied once.",
        ("payment_id", paymentId),
        ("resolution", resolution),
        ("resolved_by", resolvedBy));

    /// <param name="paymentId">The payment.</param>
    /// <param name="hash">The refund's hash, 64 hex digits (checked before Bakong was asked).</param>
    /// <param name="reason">The domain's words, never Bakong's.</param>
    public static RpcException RefundNotFound(string paymentId, string hash, string reason) => Error(
        Code.FailedPrecondition,
        ErrorReason.RefundNotFound,
        "The refund transfer " + hash + " cannot be recorded for payment '" + paymentId + "': " + reason + ".",
        ("payment_id", paymentId),
        ("transaction_hash", hash));

    /// <summary>The refund transfer is not a refund of the payment: each difference named (the domain's words, Bakong's ids cut short).</summary>
    public static RpcException RefundMismatch(string paymentId, string hash, IReadOnlyList<Payments.RefundMismatch> mismatches)
    {
        ArgumentNullException.ThrowIfNull(mismatches);
        return Error(
            Code.FailedPrecondition,
            ErrorReason.RefundMismatch,
            "The transfer " + hash + " is not a refund of payment '" + paymentId + "': "
                + string.Join("; ", mismatches.Select(m => m.Field + " " + m.Description)) + ".",
            ("payment_id", paymentId),
            ("transaction_hash", hash),
            ("mismatched_fields", string.Join(',', mismatches.Select(m => m.Field))));
    }

    /// <summary>Bakong could not be asked about a refund: nothing recorded, call again.</summary>
    public static RpcException BakongUnavailable(string paymentId) => Error(
        Code.Unavailable,
        ErrorReason.BakongUnavailable,
        "Bakong could not be asked about the refund transfer; nothing was recorded. Call again.",
        ("payment_id", paymentId));

    public static RpcException NotServing() => Error(
        Code.Unavailable,
        ErrorReason.NotServing,
        "The gateway is stopping; call again (a WatchPayment resumes with after_version).");

    /// <summary>A <c>WatchTerminal</c> or <c>WatchPayments</c> stream whose client read too slowly: dropped, and it may resume with its last cursor.</summary>
    public static RpcException WatchBehind() => new(new global::Grpc.Core.Status(
        StatusCode.ResourceExhausted,
        $"This watch stream fell more than {Payments.Watching.TerminalWatchHub.StreamBuffer} changes behind (the client reads too slowly): call again with the last cursor received."));

    /// <summary>
    /// A <c>WatchTerminal</c> or <c>WatchPayments</c> stream ended because changes other gateways committed on the shared
    /// database may not have reached this one (its change listener was disconnected): the client calls again, and its
    /// older cursor starts over from the current state (<c>caught_up.resumed</c> false).
    /// </summary>
    public static RpcException WatchChangesMissed() => Error(
        Code.Unavailable,
        ErrorReason.StorageUnavailable,
        "Changes other gateways made while this gateway's database listener was disconnected may be missing from this stream: "
            + "call again with the last cursor received; the stream starts over from the current state (caught_up.resumed false).");

    /// <summary>
    /// Outside the sandbox, no usable Bakong token: a payment created now could never be seen as PAID. Retryable once an
    /// operator sets or renews the token. The message is <see cref="TokenOnboarding.Describe"/>'s, which never holds the token.
    /// </summary>
    public static RpcException BakongTokenUnusable(TokenStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return Error(
            Code.Unavailable,
            status.State == TokenState.Expired ? ErrorReason.BakongTokenExpired : ErrorReason.BakongTokenMissing,
            "The gateway creates no payments without a usable Bakong token (Bakong could not confirm them): " + TokenOnboarding.Describe(status),
            ("environment", status.Environment.ToString()));
    }

    /// <summary>
    /// Bakong gave a verification no usable answer: retryable. <paramref name="fault"/> is the fault's kind
    /// (<c>Timeout</c>); <paramref name="detail"/> the Bakong client's line about it, cut short (never the token).
    /// </summary>
    public static RpcException BakongUnavailable(string fault, string detail)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentNullException.ThrowIfNull(detail);
        const int MaxDetail = 200;
        return Error(
            Code.Unavailable,
            ErrorReason.BakongUnavailable,
            "Bakong did not answer the verification (" + (detail.Length > MaxDetail ? detail[..MaxDetail] + "…" : detail) + "); call again.",
            ("fault", fault));
    }

    /// <summary>A Telegram test message asked for while announcements are off or no bot token is set.</summary>
    public static RpcException TelegramNotReady(string message) => Error(Code.FailedPrecondition, ErrorReason.TelegramNotReady, message);

    /// <remarks>The exception's message (file paths, the OS error) is for the operator's log, not the client.</remarks>
    public static RpcException StorageUnavailable() => Error(
        Code.Unavailable,
        ErrorReason.StorageUnavailable,
        "The gateway cannot read or write its payment store; call again (a CreatePayment retry with the same request_id is safe).");

    /// <summary>What an exception thrown by the domain or the store means on the wire; null for a bug (INTERNAL).</summary>
    public static RpcException? Map(Exception exception, ServerCallContext context, CancellationToken stopping) => exception switch
    {
        RpcException => null,
        Payments.PaymentNotFoundException notFound => PaymentNotFound(notFound.PaymentId),
        PaymentConflictException conflict => ConcurrentChange(conflict.PaymentId),

        // The store closes and the watch hub's token fires as the host stops: a retryable condition, not a bug.
        ObjectDisposedException or OperationCanceledException
            when stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested => NotServing(),
        _ when StoreUnreachable.CauseOf(exception) is not null && !context.CancellationToken.IsCancellationRequested => StorageUnavailable(),
        _ => null,
    };

    /// <summary>The state's proto name (<c>STATE_PAID</c>), as the metadata carries it.</summary>
    private static string StateName(Payment.Types.State state) => Payment.Descriptor.EnumTypes[0].FindValueByNumber((int)state)?.Name
        ?? ((int)state).ToString(CultureInfo.InvariantCulture);
    /// <summary>
    /// An error of <c>bakong.display.v1.DisplayService</c>: ErrorInfo in the domain <see cref="DisplayDomain"/> with one
    /// of the reasons its proto lists (<c>DISPLAY_NOT_FOUND</c>, <c>DISPLAY_NOT_ONLINE</c>, ...).
    /// </summary>
    public static RpcException DisplayError(Code code, string reason, string message, params (string Key, string Value)[] metadata) =>
        Error(code, DisplayDomain, reason, message, metadata);

    private static RpcException Error(Code code, ErrorReason reason, string message, params (string Key, string Value)[] metadata)
    {
        var name = ErrorReasonReflection.Descriptor.EnumTypes[0].FindValueByNumber((int)reason).Name;
        return Error(code, Domain, name.StartsWith(ReasonPrefix, StringComparison.Ordinal) ? name[ReasonPrefix.Length..] : name, message, metadata);
    }

    private static RpcException Error(Code code, string domain, string reason, string message, (string Key, string Value)[] metadata)
    {
        var info = new ErrorInfo { Domain = domain, Reason = reason };
        foreach (var (key, value) in metadata)
        {
            info.Metadata[key] = value;
        }

        return new Google.Rpc.Status { Code = (int)code, Message = message, Details = { Any.Pack(info) } }.ToRpcException();
    }
}

/// <summary>Applies <see cref="RpcErrors.Map"/> to whatever a payment call throws.</summary>
internal sealed class RpcErrorInterceptor(IHostApplicationLifetime lifetime, ILogger<RpcErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e, context) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e, context) is { } mapped)
        {
            throw mapped;
        }
    }

    private RpcException? Map(Exception exception, ServerCallContext context)
    {
        var mapped = RpcErrors.Map(exception, context, lifetime.ApplicationStopping);
        if (mapped?.StatusCode == StatusCode.Unavailable && StoreUnreachable.CauseOf(exception) is { } error)
        {
            // The operator must hear of a full disk (grpc-dotnet's own line per status is off in appsettings.json); the
            // OS's message says what failed, a stack per call would not add to it.
            GatewayLog.StorageUnavailable(logger, context.Method, error.Message);
        }

        return mapped;
    }
}
