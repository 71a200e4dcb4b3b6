using System.Text;
using Bakong.Grpc.Admin.V1;
using Bakong.Grpc.Payments.V1;
using Bakong.Identity;
using Bakong.OpenApi.Audit;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Bakong.Gateway.Access;

/// <summary>
/// Records every create, cancel and admin call in the API audit (<see cref="IApiCallAudit"/>, beside the audit of
/// calls to Bakong): the client and how it proved it (key, or key and its TLS client certificate), the peer, the time, the payment or client it was about, and the status it ended with,
/// refusals included. The outermost interceptor, so it sees the status as the caller does (after the error mapping)
/// and the caller as authentication left it.
/// </summary>
/// <remarks>
/// What is recorded is bounded and never secret: ids from a request only once they pass the rule the service applies
/// to them (so a refused call's garbage is not stored), the new client's id but never its key.
/// </remarks>
internal sealed class ApiAuditInterceptor(IApiCallAudit audit, TimeProvider timeProvider) : Interceptor
{
    private const string PaymentService = "/bakong.payments.v1.PaymentService/";
    private const string AdminService = "/bakong.admin.v1.AdminService/";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        var action = AuditedAction(context.Method);
        if (action is null)
        {
            return await continuation(request, context).ConfigureAwait(false);
        }

        var outcome = StatusCode.Unknown;
        TResponse? response = default;
        try
        {
            response = await continuation(request, context).ConfigureAwait(false);
            outcome = StatusCode.OK;
            return response;
        }
        catch (RpcException e)
        {
            outcome = e.StatusCode;
            throw;
        }
        finally
        {
            var caller = context.CallerOrNull();
            audit.Record(new ApiCallRecord(
                timeProvider.GetUtcNow(), caller?.Id ?? "-", context.Peer ?? "-", action, Target(request, response), StatusName(outcome))
            {
                Auth = caller?.Method ?? "-",
            });
        }
    }

    /// <summary>The method's name when it is audited: a create or cancel of a payment, or any admin action.</summary>
    internal static string? AuditedAction(string method) => method switch
    {
        PaymentService + "CreatePayment" => "CreatePayment",
        PaymentService + "CancelPayment" => "CancelPayment",
        _ when method.StartsWith(AdminService, StringComparison.Ordinal) => method[AdminService.Length..],
        _ => null,
    };

    /// <summary>What the call was about, as far as it can be told safely.</summary>
    private static string? Target(object? request, object? response) => (request, response) switch
    {
        (_, CreatePaymentResponse created) => created.Payment?.PaymentId,
        (CreatePaymentRequest create, _) when IsIdentifier(create.RequestId, Payments.PaymentLimits.RequestId) => "request_id " + create.RequestId,
        (CancelPaymentRequest cancel, _) when IsIdentifier(cancel.PaymentId, Payments.PaymentLimits.PaymentId) => cancel.PaymentId,
        (_, AddClientResponse added) => added.Client?.ClientId,
        (RevokeClientRequest revoke, _) when ApiKey.IsClientId(revoke.ClientId) => revoke.ClientId,
        (BindClientCertificateRequest bind, _) when ApiKey.IsClientId(bind.ClientId) => bind.ClientId,
        (UnbindClientCertificateRequest unbind, _) when ApiKey.IsClientId(unbind.ClientId) => unbind.ClientId,
        _ => null,
    };

    private static bool IsIdentifier(string value, int maxLength) => Payments.Identifier.Check(value, "id", maxLength) is null;

    /// <summary>The canonical name (<c>NOT_FOUND</c>), as grpcurl and the gRPC docs write it.</summary>
    private static string StatusName(StatusCode code)
    {
        if (code == StatusCode.OK)
        {
            return "OK";
        }

        var name = code.ToString();
        var upper = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                upper.Append('_');
            }

            upper.Append(char.ToUpperInvariant(name[i]));
        }

        return upper.ToString();
    }
}
