using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Bakong.OpenApi.Client;

/// <summary>
/// The one resilience pipeline for authenticated Bakong calls, shared by every client instance so the circuit breaker
/// and the concurrency limit see all traffic. Outer to inner: total timeout, retry (transient faults only),
/// concurrency limit, circuit breaker, attempt timeout.
/// </summary>
internal sealed class BakongResilience
{
    public BakongResilience(IOptions<BakongOpenApiOptions> options, TimeProvider timeProvider, ILogger<BakongResilience> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        Pipeline = Build(Options, timeProvider, logger);
    }

    public BakongOpenApiOptions Options { get; }

    public ResiliencePipeline<HttpAttempt> Pipeline { get; }

    internal static ResiliencePipeline<HttpAttempt> Build(BakongOpenApiOptions options, TimeProvider timeProvider, ILogger logger)
    {
        // Bakong's answers (paid, not found, errorCode n), 401, 403 and other 4xx are never retried here: retrying
        // cannot change them. Only what a second attempt can fix is.
        static bool IsTransient(Outcome<HttpAttempt> outcome) =>
            outcome.Exception is TimeoutRejectedException || outcome.Result is { IsTransient: true };

        var builder = new ResiliencePipelineBuilder<HttpAttempt> { Name = "bakong-open-api", TimeProvider = timeProvider }
            .AddTimeout(options.TotalTimeout);

        if (options.RetryCount > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpAttempt>
            {
                MaxRetryAttempts = options.RetryCount,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
            });
        }

        return builder
            .AddStrategy(_ => new ConcurrencyLimitStrategy(options.MaxConcurrentCalls))
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpAttempt>
            {
                FailureRatio = options.CircuitBreakerFailureRatio,
                MinimumThroughput = options.CircuitBreakerMinimumThroughput,
                SamplingDuration = options.CircuitBreakerSamplingDuration,
                BreakDuration = options.CircuitBreakerBreakDuration,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
                OnOpened = args =>
                {
                    BakongClientLog.CircuitOpened(logger, args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    BakongClientLog.CircuitClosed(logger);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    /// <summary>At most N attempts in flight; the rest wait, bounded by the total timeout, never rejected.</summary>
    private sealed class ConcurrencyLimitStrategy(int limit) : ResilienceStrategy<HttpAttempt>, IDisposable
    {
        private readonly SemaphoreSlim _gate = new(limit, limit);

        public void Dispose() => _gate.Dispose();

        protected override async ValueTask<Outcome<HttpAttempt>> ExecuteCore<TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<HttpAttempt>>> callback, ResilienceContext context, TState state)
        {
            try
            {
                await _gate.WaitAsync(context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext);
            }
            catch (OperationCanceledException ex)
            {
                return Outcome.FromException<HttpAttempt>(ex);
            }

            try
            {
                return await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
            }
            finally
            {
                _gate.Release();
            }
        }
    }
}

/// <summary>Remembers, for a while, that the md5-list endpoint is refused so batches go straight to single checks.</summary>
internal sealed class Md5ListFallback(IOptions<BakongOpenApiOptions> options, TimeProvider timeProvider)
{
    private long _untilUnixMs = long.MinValue;

    public bool IsActive => timeProvider.GetUtcNow().ToUnixTimeMilliseconds() < Interlocked.Read(ref _untilUnixMs);

    public DateTimeOffset Remember()
    {
        var until = timeProvider.GetUtcNow() + options.Value.Md5ListFallbackDuration;
        Interlocked.Exchange(ref _untilUnixMs, until.ToUnixTimeMilliseconds());
        return until;
    }
}
