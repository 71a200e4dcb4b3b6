using Bakong.Gateway.Access;
using Bakong.Gateway.Rpc;
using Bakong.Grpc.Admin.V1;
using Bakong.OpenApi.Tokens;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using TokenStatus = Bakong.OpenApi.Tokens.TokenStatus;

namespace Bakong.Gateway.Admin;

/// <summary>
/// The Bakong token in the admin API: its status, a token the operator pastes, and a renewal now. The rules are the
/// token lifecycle's (<see cref="TokenOnboarding"/>, <see cref="BakongTokenManager"/>), the same ones
/// <c>bakong token</c> applies offline; this only maps them. The token itself never leaves: not in a response, an
/// error, a log line or the API audit (whose target for these calls is empty).
/// </summary>
internal sealed partial class AdminGrpcService
{
    public override Task<GetTokenStatusResponse> GetTokenStatus(GetTokenStatusRequest request, ServerCallContext context) =>
        Task.FromResult(new GetTokenStatusResponse { Token = ToProto(services.GetRequiredService<BakongTokenManager>().GetStatus()) });

    public override Task<SetTokenResponse> SetToken(SetTokenRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);

        // Checked before anything is stored, the token first: the description never quotes what was sent.
        var violations = new List<Payments.FieldViolation>(2);
        var token = TokenOnboarding.ReadPasted(request.Token);
        if (token is null)
        {
            violations.Add(new Payments.FieldViolation("token", TokenOnboarding.NotATokenMessage));
        }

        var email = request.Email.Trim();
        if (email.Length > 0 && !TokenOnboarding.IsEmail(email))
        {
            violations.Add(new Payments.FieldViolation("email", $"not an e-mail address of at most {TokenOnboarding.MaxEmailLength} characters (Bakong's limit)"));
        }

        if (violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument(violations);
        }

        // What Set still refuses is the token (expired): its message names the expiry, never the token.
        var result = services.GetRequiredService<TokenOnboarding>().Set(token!, email.Length > 0 ? email : null);
        if (!result.Succeeded)
        {
            throw RpcErrors.InvalidArgument("token", result.Message);
        }

        var operatorId = context.Caller().Id;
        TokenAdminLog.TokenSet(logger, operatorId);
        return Task.FromResult(new SetTokenResponse { Token = ToProto(result.Status), Message = result.Message });
    }

    public override async Task<RenewTokenResponse> RenewToken(RenewTokenRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var manager = services.GetRequiredService<BakongTokenManager>();
        if (manager.RenewalEmail is null)
        {
            throw new RpcException(new Status(
                StatusCode.FailedPrecondition,
                "No e-mail is registered for the token, so it cannot be renewed: set one with the token ('bakong token set --email ...')."));
        }

        // Joins the background renewal when one is in flight (single-flight in the manager); the caller leaving does
        // not cancel it for the others.
        var result = await services.GetRequiredService<TokenOnboarding>().RenewAsync(context.CancellationToken).ConfigureAwait(false);
        var operatorId = context.Caller().Id;
        if (!result.Succeeded)
        {
            TokenAdminLog.RenewalFailed(logger, operatorId);
            throw new RpcException(new Status(StatusCode.Unavailable, result.Message));
        }

        TokenAdminLog.TokenRenewed(logger, operatorId);
        return new RenewTokenResponse { Token = ToProto(result.Status), Message = result.Message };
    }

    private static Grpc.Admin.V1.TokenStatus ToProto(TokenStatus status)
    {
        var proto = new Grpc.Admin.V1.TokenStatus
        {
            Environment = status.Environment.ToString().ToLowerInvariant(),
            State = status.State switch
            {
                TokenState.Missing => Grpc.Admin.V1.TokenStatus.Types.State.Missing,
                TokenState.Healthy => Grpc.Admin.V1.TokenStatus.Types.State.Healthy,
                TokenState.ExpiringSoon => Grpc.Admin.V1.TokenStatus.Types.State.ExpiringSoon,
                TokenState.Expired => Grpc.Admin.V1.TokenStatus.Types.State.Expired,
                _ => Grpc.Admin.V1.TokenStatus.Types.State.Unspecified,
            },
            DaysLeft = status.DaysLeft ?? 0,
            Renewed = status.Renewed,
            EmailHint = status.MaskedEmail ?? string.Empty,
            Message = TokenOnboarding.Describe(status),
        };
        if (status.ExpiresAt is { } expiresAt)
        {
            proto.ExpireTime = Timestamp.FromDateTimeOffset(expiresAt);
        }

        if (status.SetAt is { } setAt)
        {
            proto.SetTime = Timestamp.FromDateTimeOffset(setAt);
        }

        return proto;
    }
}

/// <summary>The admin API's token events (2550–2559): who set or renewed it, never the token.</summary>
internal static partial class TokenAdminLog
{
    [LoggerMessage(EventId = 2550, EventName = "TokenSetByOperator", Level = LogLevel.Information,
        Message = "Bakong token set through the admin API by {OperatorId}")]
    public static partial void TokenSet(ILogger logger, string operatorId);

    [LoggerMessage(EventId = 2551, EventName = "TokenRenewedByOperator", Level = LogLevel.Information,
        Message = "Bakong token renewed through the admin API by {OperatorId}")]
    public static partial void TokenRenewed(ILogger logger, string operatorId);

    [LoggerMessage(EventId = 2552, EventName = "TokenRenewalByOperatorFailed", Level = LogLevel.Warning,
        Message = "Bakong token renewal asked through the admin API by {OperatorId} failed (the token lifecycle logged why)")]
    public static partial void RenewalFailed(ILogger logger, string operatorId);
}
