using Bakong.Grpc.Payments.V1;
using Grpc.Core;

namespace Bakong.Grpc.Client;

/// <summary>How <see cref="CreatePaymentRetry.CreatePaymentWithRetryAsync"/> retries.</summary>
public sealed record CreatePaymentRetryOptions
{
    /// <summary>Calls in all, the first included (at least 1).</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The wait before the second call; doubled before each next one, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Each call's own deadline; a call past it is DEADLINE_EXCEEDED and retried.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock the waits and deadlines use (tests give a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// <c>CreatePayment</c> is idempotent by <c>request_id</c>: the same request again returns the same payment, never a
/// second QR. So a call whose outcome is unknown (the gateway unreachable or stopping, a deadline passed) is safe to
/// send again, unchanged; that is all this does. Errors that are answers (INVALID_ARGUMENT, ALREADY_EXISTS for a
/// request_id used with other parameters, PERMISSION_DENIED, UNAUTHENTICATED) are thrown at once.
/// </summary>
public static class CreatePaymentRetry
{
    /// <summary>Calls <c>CreatePayment</c> with <paramref name="request"/>, again with the same request on a transient failure.</summary>
    /// <exception cref="ArgumentException">The request has no <c>request_id</c>: without one a retry could make a second payment.</exception>
    /// <exception cref="RpcException">The last call's error, or the first that is not transient.</exception>
    public static async Task<CreatePaymentResponse> CreatePaymentWithRetryAsync(
        this PaymentService.PaymentServiceClient client,
        CreatePaymentRequest request,
        CreatePaymentRetryOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.RequestId))
        {
            throw new ArgumentException("Set request_id: it is what makes a retried CreatePayment safe.", nameof(request));
        }

        options ??= new CreatePaymentRetryOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1, nameof(options));
        var delay = options.FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var deadline = options.Time.GetUtcNow().UtcDateTime + options.AttemptTimeout;
                return await client.CreatePaymentAsync(request, deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (attempt < options.MaxAttempts && IsTransient(e.StatusCode) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, options.Time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxDelay.Ticks));
            }
        }
    }

    /// <summary>The outcome is unknown or the gateway asked to call again: nothing was decided about this request.</summary>
    internal static bool IsTransient(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;
}
