using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Tokens;

/// <summary>
/// Renews the token through <c>/v1/renew_token</c> when it enters the warning window (or has expired), and logs the
/// daily expiry warning. Failed renewals are retried with doubling delays. Every wait is a
/// <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> on the injected clock.
/// </summary>
internal sealed class TokenRenewalService(
    BakongTokenManager manager,
    IOptions<BakongTokenOptions> options,
    TimeProvider timeProvider,
    ILogger<TokenRenewalService> logger) : BackgroundService
{
    private readonly BakongTokenOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.AutoRenew)
        {
            TokenLog.AutomaticRenewalDisabled(logger, "AutoRenew is false");
            return;
        }

        var failures = 0;
        var saidNoEmail = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var status = manager.CheckExpiry();
            var delay = NextCheck(status);
            if (status.State is TokenState.ExpiringSoon or TokenState.Expired)
            {
                if (manager.RenewalEmail is null)
                {
                    // The daily expiry warning keeps saying what to do; say once why nothing happens automatically.
                    if (!saidNoEmail)
                    {
                        TokenLog.AutomaticRenewalDisabled(logger, "no registered e-mail");
                        saidNoEmail = true;
                    }
                }
                else
                {
                    var outcome = await manager.RenewNowAsync(stoppingToken).ConfigureAwait(false);
                    if (outcome.Token is null)
                    {
                        delay = Backoff(failures++);
                        TokenLog.AutomaticRenewalRetry(logger, _options.Environment, delay);
                    }
                    else
                    {
                        failures = 0;
                        saidNoEmail = false;

                        // A renewed token still inside the window (short-lived sandbox tokens) must not spin the loop.
                        delay = NextCheck(manager.GetStatus());
                        if (delay < _options.CheckInterval && manager.GetStatus().State != TokenState.Healthy)
                        {
                            delay = _options.CheckInterval;
                        }
                    }
                }
            }

            try
            {
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>The regular check interval, or sooner when the token enters the warning window before then.</summary>
    private TimeSpan NextCheck(TokenStatus status)
    {
        var delay = _options.CheckInterval;
        if (status is { State: TokenState.Healthy, TimeLeft: { } left })
        {
            var untilWindow = left - _options.WarningWindow;
            if (untilWindow < delay)
            {
                delay = untilWindow > TimeSpan.Zero ? untilWindow : TimeSpan.Zero;
            }
        }

        return delay;
    }

    private TimeSpan Backoff(int failures)
    {
        var factor = Math.Pow(2, Math.Min(failures, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(_options.RenewalRetryDelay.Ticks * factor, _options.RenewalRetryMaxDelay.Ticks));
        return delay < _options.RenewalRetryDelay ? _options.RenewalRetryDelay : delay;
    }
}
