using Bakong.OpenApi.Audit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Client;

/// <summary>
/// <c>/v1/request_token</c>, <c>/v1/verify</c> and <c>/v1/renew_token</c>: no bearer token, and no retries or
/// circuit breaker — request_token sends an e-mail and renew issues a token, so neither is repeated on our own;
/// each call gets one attempt bounded by the total timeout.
/// </summary>
internal sealed class BakongRegistrationClient : IBakongRegistrationApi
{
    internal const string RequestTokenPath = "v1/request_token";
    internal const string VerifyPath = "v1/verify";
    internal const string RenewTokenPath = "v1/renew_token";

    private readonly BakongHttpSender _sender;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _timeout;

    public BakongRegistrationClient(
        HttpClient httpClient,
        IBakongCallAudit audit,
        TimeProvider timeProvider,
        IOptions<BakongOpenApiOptions> options,
        ILogger<BakongRegistrationClient> logger,
        BakongCallTelemetry? telemetry = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _sender = new BakongHttpSender(httpClient, audit, timeProvider, logger, telemetry);
        _timeProvider = timeProvider;
        _timeout = options.Value.TotalTimeout;
    }

    public async Task<BakongResult> RequestTokenAsync(string email, string organization, string project, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        var call = BakongCall.Create(
            RequestTokenPath, email, new RequestTokenBody(email, organization, project), BakongJsonContext.Requests.RequestTokenBody, cancellationToken);
        var attempt = await SendAsync(call).ConfigureAwait(false);
        if (attempt.Fault is { } fault)
        {
            return BakongResult.Failed(fault);
        }

        var envelope = attempt.Envelope!;
        return envelope.ResponseCode == 0
            ? BakongResult.Success(envelope.ResponseMessage)
            : envelope.ErrorCode is { } code
                ? BakongResult.Error(code, envelope.ResponseMessage)
                : BakongResult.Failed(HttpAttempt.Malformed($"Bakong answered responseCode {envelope.ResponseCode} without an errorCode."));
    }

    public async Task<BakongResult<string>> VerifyAsync(string code, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);

        // The subject stays empty: the verification code is as good as a token until used.
        var call = BakongCall.Create(VerifyPath, null, new VerifyBody(code), BakongJsonContext.Requests.VerifyBody, cancellationToken);
        return ToToken(await SendAsync(call).ConfigureAwait(false));
    }

    public async Task<BakongResult<string>> RenewTokenAsync(string email, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        var call = BakongCall.Create(RenewTokenPath, email, new RenewTokenBody(email), BakongJsonContext.Requests.RenewTokenBody, cancellationToken);
        return ToToken(await SendAsync(call).ConfigureAwait(false));
    }

    private async Task<HttpAttempt> SendAsync(BakongCall call)
    {
        using var timeout = new CancellationTokenSource(_timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(call.CallerToken, timeout.Token);
        try
        {
            return await _sender.SendAsync(call, token: null, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!call.CallerToken.IsCancellationRequested)
        {
            return HttpAttempt.Faulted(BakongFaultKind.Timeout, $"Bakong did not answer {call.Endpoint} within {_timeout.TotalSeconds:0.#} s.");
        }
    }

    private static BakongResult<string> ToToken(HttpAttempt attempt)
    {
        if (attempt.Fault is { } fault)
        {
            return BakongResult<string>.Failed(fault);
        }

        var envelope = attempt.Envelope!;
        if (envelope.ResponseCode != 0)
        {
            return envelope.ErrorCode is { } code
                ? BakongResult<string>.Error(code, envelope.ResponseMessage)
                : BakongResult<string>.Failed(HttpAttempt.Malformed($"Bakong answered responseCode {envelope.ResponseCode} without an errorCode."));
        }

        return BakongJson.TryRead(envelope.Data, BakongJsonContext.Default.TokenDto)?.Token is { Length: > 0 } token
            ? BakongResult<string>.Success(token, envelope.ResponseMessage)
            : BakongResult<string>.Failed(HttpAttempt.Malformed("Bakong reported success without data.token.", attempt.HttpStatus));
    }
}
