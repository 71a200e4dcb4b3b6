using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bakong.OpenApi.Audit;
using Microsoft.Extensions.Logging;

namespace Bakong.OpenApi.Client;

/// <summary>One logical call: what it is about, its body, and how many HTTP attempts it has made so far.</summary>
internal sealed class BakongCall(string endpoint, string? subject, byte[] body, CancellationToken callerToken)
{
    private int _attempts;

    public string Endpoint { get; } = endpoint;

    /// <summary>md5, hash, reference, account id or "N md5s"; never the token or a verification code.</summary>
    public string? Subject { get; } = subject;

    public byte[] Body { get; } = body;

    /// <summary>The caller's token: its cancellation is the caller's wish, any other cancellation is a timeout.</summary>
    public CancellationToken CallerToken { get; } = callerToken;

    public int NextAttempt() => Interlocked.Increment(ref _attempts);

    public static BakongCall Create<T>(string endpoint, string? subject, T body, JsonTypeInfo<T> typeInfo, CancellationToken callerToken) =>
        new(endpoint, subject, JsonSerializer.SerializeToUtf8Bytes(body, typeInfo), callerToken);
}

/// <summary>Makes one HTTP attempt, classifies it, and records it in the audit and the log. Shared by both clients.</summary>
internal sealed class BakongHttpSender(
    HttpClient httpClient, IBakongCallAudit audit, TimeProvider timeProvider, ILogger logger, BakongCallTelemetry? telemetry = null)
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };

    public async ValueTask<HttpAttempt> SendAsync(BakongCall call, BakongToken? token, CancellationToken cancellationToken)
    {
        var attempt = call.NextAttempt();
        using var activity = BakongCallTelemetry.Start(call.Endpoint, call.Subject, attempt);
        var started = timeProvider.GetTimestamp();
        HttpAttempt result;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, call.Endpoint);
            request.Content = new ByteArrayContent(call.Body) { Headers = { ContentType = s_json } };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
            }

            using var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            result = HttpAttempt.Classify((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
        }
        catch (OperationCanceledException)
        {
            var elapsed = timeProvider.GetElapsedTime(started);
            var timedOut = !call.CallerToken.IsCancellationRequested;
            Record(call, attempt, elapsed, null, null, timedOut ? nameof(BakongFaultKind.Timeout) : "Cancelled");
            activity?.SetStatus(ActivityStatusCode.Error, timedOut ? nameof(BakongFaultKind.Timeout) : "Cancelled");
            if (timedOut)
            {
                BakongClientLog.AttemptTimedOut(logger, call.Endpoint, call.Subject, attempt, elapsed.TotalMilliseconds);
            }

            throw;
        }
        catch (HttpRequestException ex)
        {
            result = HttpAttempt.Faulted(
                BakongFaultKind.Unreachable,
                $"Cannot reach Bakong at {httpClient.BaseAddress} ({ex.HttpRequestError}).");
        }

        var latency = timeProvider.GetElapsedTime(started);
        Record(call, attempt, latency, result.HttpStatus, result.Envelope, result.Outcome);
        activity?.SetTag("bakong.outcome", result.Outcome);
        if (result.Fault is { } fault)
        {
            activity?.SetStatus(ActivityStatusCode.Error, fault.Kind.ToString());
            BakongClientLog.AttemptFaulted(logger, call.Endpoint, call.Subject, attempt, fault.Kind, result.HttpStatus, latency.TotalMilliseconds, fault.Message);
        }
        else
        {
            BakongClientLog.AttemptAnswered(
                logger, call.Endpoint, call.Subject, attempt, result.HttpStatus, result.Envelope?.ResponseCode, result.Envelope?.ErrorCode, latency.TotalMilliseconds);
        }

        return result;
    }

    private void Record(BakongCall call, int attempt, TimeSpan latency, int? httpStatus, BakongEnvelope? envelope, string outcome)
    {
        telemetry?.Record(call.Endpoint, outcome, envelope?.ErrorCode, latency);
        audit.Record(new BakongCallRecord(
            timeProvider.GetUtcNow(),
            "/" + call.Endpoint,
            call.Subject,
            httpStatus,
            envelope?.ResponseCode,
            envelope?.ErrorCode,
            envelope?.ResponseMessage,
            latency,
            attempt,
            outcome));
    }
}
