using Bakong.Gateway.Access;
using Bakong.Gateway.Health;
using Bakong.Gateway.Limits;
using Bakong.Gateway.QrImages;
using Bakong.Grpc.Payments.V1;
using Bakong.Payments.Cancellation;
using Bakong.Payments.Deeplinks;
using Bakong.Payments.Reading;
using Bakong.Payments.Telemetry;
using Bakong.Payments.Watching;
using Grpc.Core;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// <c>bakong.payments.v1.PaymentService</c>: checks the request's contract rules, calls the use case in Bakong.Payments,
/// maps the result. Errors are built by <see cref="RpcErrors"/> (thrown exceptions are mapped there too, by
/// <see cref="RpcErrorInterceptor"/>).
/// </summary>
internal sealed class PaymentGrpcService(
    Payments.Creation.PaymentCreation creation,
    PaymentReader reader,
    PaymentWatching watching,
    TerminalWatchHub terminals,
    PaymentCancellation cancellation,
    Payments.Listing.PaymentListing listing,
    PaymentDeeplinks deeplinks,
    Payments.Verification.ReceiptVerification verification,
    Microsoft.Extensions.Options.IOptions<Payments.Configuration.MerchantProfiles> profiles,
    BakongTokenGate tokenGate,
    CallerLimits limits,
    IHostApplicationLifetime lifetime,
    ILogger<PaymentGrpcService> logger) : PaymentService.PaymentServiceBase
{
    public override async Task<CreatePaymentResponse> CreatePayment(CreatePaymentRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var contract = new List<Payments.FieldViolation>();
        var create = PaymentMapper.ToDomain(request, contract);
        var sourceInfo = request.Deeplink is { } options ? PaymentDeeplinks.ToSourceInfo(PaymentMapper.ToDomain(options), contract) : null;
        var image = QrImageMapper.ToSpec(request.QrImage, contract);

        // The domain's rules before anything else (once: CreateAsync takes the validated request): the ids go into the
        // log scope below, and a request that could never be created is INVALID_ARGUMENT whether or not the gateway has a token.
        var validated = creation.Validate(create);
        var violations = PaymentMapper.InFieldOrder(contract, validated.Violations);
        if (violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument(violations);
        }

        if (!AccessPolicy.MayActFor(context.Caller(), request.TerminalId))
        {
            throw NotBoundTo("terminal_id");
        }

        if (tokenGate.Refusal() is { } unusable)
        {
            throw RpcErrors.BakongTokenUnusable(unusable);
        }

        // The payment id is not known before the creation returns: until then the request's ids are the scope
        // (PaymentRequestId, as ASP.NET Core's own scope already has a RequestId: the HTTP request's).
        using var requestScope = GatewayLog.CreatePaymentScope(logger, request.TerminalId, request.RequestId);
        var maxPending = limits.Options.MaxPendingPerTerminal;
        switch (await creation.CreateAsync(validated, maxPending, context.CancellationToken).ConfigureAwait(false))
        {
            case Payments.Creation.CreatePaymentResult.Created created:
                return await RespondAsync(created.Payment, request, sourceInfo, image, context.CancellationToken).ConfigureAwait(false);
            case Payments.Creation.CreatePaymentResult.Replayed replayed:
                return await RespondAsync(replayed.Payment, request, sourceInfo, image, context.CancellationToken).ConfigureAwait(false);
            case Payments.Creation.CreatePaymentResult.Conflict conflict:
                // Request ids are one namespace for the whole gateway (the store's unique index); who may hear about
                // the payment that holds one is the caller's scope.
                throw AccessPolicy.MaySee(context.Caller(), conflict.Existing)
                    ? RpcErrors.RequestIdConflict(conflict.Existing.Id, conflict.Fields)
                    : RpcErrors.RequestIdTaken();
            case Payments.Creation.CreatePaymentResult.Invalid invalid:
                throw RpcErrors.InvalidArgument([.. invalid.Violations.Select(PaymentMapper.ToProtoPath)]);
            case Payments.Creation.CreatePaymentResult.TooManyPending tooMany:
                LimitsLog.TooManyPending(logger, request.TerminalId, tooMany.Limit);
                throw LimitErrors.ResourceExhausted(
                    context,
                    tooMany.RetryAfter,
                    $"Terminal '{request.TerminalId}' has {tooMany.Limit} pending payments already: cancel one, or wait until one is paid or expires.",
                    request.TerminalId,
                    "pending payments per terminal");
            default:
                throw new InvalidOperationException("Unknown create result.");
        }
    }

    public override async Task<GetPaymentResponse> GetPayment(GetPaymentRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var violations = new List<Payments.FieldViolation>();
        AddPaymentIdViolation(request.PaymentId, violations);
        var image = QrImageMapper.ToSpec(request.QrImage, violations);
        if (violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument(violations);
        }

        using var scope = PaymentLogScope.Begin(logger, request.PaymentId);
        var payment = await ReadVisibleAsync(request.PaymentId, context).ConfigureAwait(false);
        return new GetPaymentResponse { Payment = PaymentMapper.ToProto(payment), QrImage = QrImageMapper.ToProto(payment, image) };
    }

    public override async Task WatchPayment(
        WatchPaymentRequest request, IServerStreamWriter<WatchPaymentResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        RequirePaymentId(request.PaymentId);
        await ReadVisibleAsync(request.PaymentId, context).ConfigureAwait(false);
        var started = await watching.WatchAsync(request.PaymentId, request.AfterVersion, context.CancellationToken).ConfigureAwait(false) switch
        {
            WatchResult.Watching watch => watch,
            WatchResult.Invalid invalid => throw RpcErrors.InvalidArgument(invalid.Violations),
            _ => throw new InvalidOperationException("Unknown watch result."),
        };

        // The stream ends after a terminal state, and also (without one) when the application stops.
        using var scope = PaymentLogScope.Begin(logger, started.Current);
        var endedTerminal = false;
        await foreach (var snapshot in started.Snapshots.ConfigureAwait(false))
        {
            await responseStream.WriteAsync(new WatchPaymentResponse { Payment = PaymentMapper.ToProto(snapshot) }, context.CancellationToken)
                .ConfigureAwait(false);
            endedTerminal = snapshot.State != Payments.PaymentState.Pending;
        }

        if (!endedTerminal && lifetime.ApplicationStopping.IsCancellationRequested)
        {
            throw RpcErrors.NotServing();
        }
    }

    public override async Task WatchTerminal(
        WatchTerminalRequest request, IServerStreamWriter<WatchTerminalResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        if (Payments.Identifier.Check(request.TerminalId, "terminal_id", Payments.PaymentLimits.TerminalId) is { } badTerminal)
        {
            throw RpcErrors.InvalidArgument([badTerminal]);
        }

        if (!AccessPolicy.MayActFor(context.Caller(), request.TerminalId))
        {
            throw NotBoundTo("terminal_id");
        }

        await TerminalWatchStreams.WriteAsync(
            terminals.Open(request.TerminalId, request.Cursor), responseStream, PaymentMapper.ToProto, context).ConfigureAwait(false);
    }

    public override async Task<CancelPaymentResponse> CancelPayment(CancelPaymentRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        RequirePaymentId(request.PaymentId);
        using var scope = PaymentLogScope.Begin(logger, request.PaymentId);

        // A payment's terminal never changes: read, decide, then cancel is not a race.
        await ReadVisibleAsync(request.PaymentId, context).ConfigureAwait(false);
        return await cancellation.CancelAsync(request.PaymentId, context.CancellationToken).ConfigureAwait(false) switch
        {
            CancelOutcome.Cancelled cancelled => new CancelPaymentResponse { Payment = PaymentMapper.ToProto(cancelled.Payment) },
            CancelOutcome.NotPending notPending => throw RpcErrors.PaymentNotPending(
                notPending.Payment.Id, PaymentMapper.ToProto(notPending.Payment.State)),
            _ => throw new InvalidOperationException("Unknown cancel outcome."),
        };
    }

    public override async Task<ListPaymentsResponse> ListPayments(ListPaymentsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var violations = new List<Payments.FieldViolation>();
        var query = PaymentMapper.ToDomain(request, violations) ?? throw RpcErrors.InvalidArgument(violations);
        var caller = context.Caller();
        if (!string.IsNullOrEmpty(query.TerminalId) && !AccessPolicy.MayActFor(caller, query.TerminalId))
        {
            throw NotBoundTo("terminal_id");
        }

        query = query with { TerminalIds = AccessPolicy.ListScope(caller) };
        return await listing.ListAsync(query, context.CancellationToken).ConfigureAwait(false) switch
        {
            Payments.Listing.ListPaymentsResult.Listed page => PaymentMapper.ToProto(
                page, string.IsNullOrEmpty(query.TerminalId) ? null : profiles.Value.ForTerminal(query.TerminalId)),
            Payments.Listing.ListPaymentsResult.Invalid invalid => throw RpcErrors.InvalidArgument(invalid.Violations),
            _ => throw new InvalidOperationException("Unknown list result."),
        };
    }

    public override async Task<VerifyTransactionResponse> VerifyTransaction(VerifyTransactionRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var violations = new List<Payments.FieldViolation>();
        var query = PaymentMapper.ToDomain(request, violations);
        if (request.TerminalId.Length > 0
            && Payments.Identifier.Check(request.TerminalId, "terminal_id", Payments.PaymentLimits.TerminalId) is { } terminalViolation)
        {
            violations.Add(terminalViolation);
        }

        if (query is null || violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument(violations);
        }

        var caller = context.Caller();
        if (request.TerminalId.Length > 0 && !AccessPolicy.MayActFor(caller, request.TerminalId))
        {
            throw NotBoundTo("terminal_id");
        }

        if (tokenGate.Refusal() is { } unusable)
        {
            throw RpcErrors.BakongTokenUnusable(unusable);
        }

        var terminal = AccessPolicy.VerifyingTerminal(caller, request.TerminalId);
        return await verification.VerifyAsync(query, caller.Id, terminal, context.CancellationToken).ConfigureAwait(false) switch
        {
            Payments.Verification.VerifyOutcome.Found found => PaymentMapper.ToProto(
                found, found.LinkedPayment is { } payment && AccessPolicy.MaySee(caller, payment)),
            Payments.Verification.VerifyOutcome.NotFound => new VerifyTransactionResponse(),
            Payments.Verification.VerifyOutcome.TransactionFailed => new VerifyTransactionResponse { TransactionFailed = true },
            Payments.Verification.VerifyOutcome.BakongUnavailable down => throw RpcErrors.BakongUnavailable(down.Reason, down.Detail),
            _ => throw new InvalidOperationException("Unknown verification outcome."),
        };
    }

    /// <summary>The payment, its QR image and the deeplink when asked for (after the save: getting a deeplink never fails the call).</summary>
    private async Task<CreatePaymentResponse> RespondAsync(
        Payments.Payment payment,
        CreatePaymentRequest request,
        OpenApi.Client.DeeplinkSourceInfo? sourceInfo,
        QrImageSpec? image,
        CancellationToken cancellationToken)
    {
        var response = new CreatePaymentResponse { Payment = PaymentMapper.ToProto(payment), QrImage = QrImageMapper.ToProto(payment, image) };
        if (request.Deeplink is not null)
        {
            using var scope = PaymentLogScope.Begin(logger, payment);
            response.Deeplink = PaymentMapper.ToProto(await deeplinks.GetAsync(payment, sourceInfo, cancellationToken).ConfigureAwait(false));
        }

        return response;
    }

    /// <summary>The payment, if the caller may see it; another terminal's payment is as not found as a missing one.</summary>
    private async Task<Payments.Payment> ReadVisibleAsync(string paymentId, ServerCallContext context)
    {
        var payment = await reader.GetAsync(paymentId, context.CancellationToken).ConfigureAwait(false);
        return AccessPolicy.MaySee(context.Caller(), payment) ? payment : throw RpcErrors.PaymentNotFound(paymentId);
    }

    private static RpcException NotBoundTo(string field) => new(new Status(
        StatusCode.PermissionDenied,
        $"This client's key is not bound to the request's {field}: add the terminal to a client with 'bakong clients add --terminal <id>'."));

    /// <summary>
    /// The <c>payment_id</c> of a Get, Watch or Cancel request, checked before the lookup and before it is logged: an id
    /// that passes is safe to log and to echo in NOT_FOUND.
    /// </summary>
    private static void AddPaymentIdViolation(string paymentId, List<Payments.FieldViolation> violations)
    {
        if (Payments.Identifier.Check(paymentId, "payment_id", Payments.PaymentLimits.PaymentId) is { } violation)
        {
            violations.Add(violation);
        }
    }

    private static void RequirePaymentId(string paymentId)
    {
        var violations = new List<Payments.FieldViolation>();
        AddPaymentIdViolation(paymentId, violations);
        if (violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument(violations);
        }
    }
}
