using System.Globalization;
using Bakong.Payments.Storage;
using Bakong.Payments.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Webhooks;

/// <summary>
/// Delivers the payment outbox: reads due entries from the store, POSTs each signed to <c>Webhooks:Url</c>, marks it
/// delivered on a 2xx and otherwise records the failure with the next attempt time (exponential backoff with jitter,
/// capped). At least once: a delivery whose mark is lost (crash, power cut) is sent again with the same event id.
/// </summary>
/// <remarks>
/// <para>
/// It runs beside payment processing and never inside it: a transition only appends the entry (same write) and
/// calls <see cref="IWebhookSignal.Notify"/>. A pass sleeps until the earliest entry the store says is due, a
/// signal, or <see cref="WebhookOptions.PollInterval"/>, whichever comes first, so all timing comes from
/// <see cref="TimeProvider"/> and a restart resumes the stored schedule.
/// </para>
/// <para>
/// One payment's entries go out one after another in version order; different payments' concurrently, up to
/// <see cref="WebhookOptions.MaxConcurrency"/>. Order across retries is not guaranteed: receivers order by
/// <c>data.version</c> and de-duplicate by <c>id</c>.
/// </para>
/// <para>
/// Several gateways on one database: the store hands each due entry to one dispatcher (a claim, see
/// <see cref="IPaymentStore.GetPendingOutboxAsync"/>), and a pass with nothing to claim sleeps until the store says
/// something will be (<see cref="IPaymentStore.GetNextOutboxDueAsync"/>: a due time, or the end of another's claim).
/// </para>
/// </remarks>
internal sealed class WebhookDispatcher(
    IPaymentStore store,
    IHttpClientFactory httpClients,
    WebhookSignal signal,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>Called after each pass, once the dispatcher is waiting for its next one (its timer armed).</summary>
    internal Action<WebhookPass>? PassCompleted { get; set; }

    /// <summary>The jitter source, a uniform sample in [0, 1).</summary>
    internal Func<double> Jitter { get; set; } = Random.Shared.NextDouble;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (o.Url is null)
        {
            WebhookLog.Disabled(logger);
            return;
        }

        // Read once (a SecretFile too): validation at start made sure it can be; a restart picks up a rotated file.
        var secrets = o.SigningSecrets();
        var endpoint = WebhookSender.Describe(o.Url);
        var maxAttempts = o.MaxAttempts?.ToString(CultureInfo.InvariantCulture) ?? "unlimited";
        WebhookLog.Started(logger, endpoint, o.Timeout, o.BackoffBase, o.BackoffMax, maxAttempts);

        while (!stoppingToken.IsCancellationRequested)
        {
            // A notification that arrived before this pass is answered by it.
            signal.Reset();
            var now = time.GetUtcNow();
            WebhookPass pass;
            try
            {
                pass = await RunPassAsync(o, secrets, now, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The dispatcher outlives any one failure (a store fault): log it and try again later.
            catch (Exception e)
#pragma warning restore CA1031
            {
                WebhookLog.PassFailed(logger, e, o.PollInterval);
                pass = new WebhookPass(now, 0, 0, time.GetUtcNow() + o.PollInterval);
            }

            try
            {
                await WaitAsync(pass, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<WebhookPass> RunPassAsync(WebhookOptions o, IReadOnlyList<string> secrets, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var due = await store.GetPendingOutboxAsync(now, o.BatchSize, cancellationToken).ConfigureAwait(false);
        var delivered = 0;
        var failed = 0;
        var unrecorded = false;
        if (due.Count > 0)
        {
            // Per pass, not per process: the factory rotates handlers (DNS changes) only for clients it hands out anew.
            var sender = new WebhookSender(httpClients.CreateClient(WebhookSender.HttpClientName), o.Url!, secrets, o.Timeout, time);
            var byPayment = due.GroupBy(p => p.Payment.Id, StringComparer.Ordinal)
                .Select(g => g.OrderBy(p => p.Entry.Version).ToList())
                .ToList();
            await Parallel.ForEachAsync(
                byPayment,
                new ParallelOptions { MaxDegreeOfParallelism = o.MaxConcurrency, CancellationToken = cancellationToken },
                async (entries, token) =>
                {
                    foreach (var pending in entries)
                    {
                        switch (await DeliverAsync(sender, pending, o, token).ConfigureAwait(false))
                        {
                            case Outcome.Delivered:
                                Interlocked.Increment(ref delivered);
                                break;
                            case Outcome.Unrecorded:
                                Interlocked.Increment(ref delivered);
                                unrecorded = true;
                                break;
                            default:
                                Interlocked.Increment(ref failed);
                                break;
                        }
                    }
                }).ConfigureAwait(false);
        }

        DateTimeOffset next;
        if (unrecorded)
        {
            // The store refused a mark: the entry is still due; don't spin on it.
            next = time.GetUtcNow() + o.PollInterval;
        }
        else if (due.Count == o.BatchSize)
        {
            next = time.GetUtcNow();
        }
        else
        {
            var poll = time.GetUtcNow() + o.PollInterval;
            next = await store.GetNextOutboxDueAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is { } earliest && earliest < poll
                ? earliest
                : poll;
        }

        WebhookLog.Pass(logger, delivered, failed, next);
        return new WebhookPass(now, delivered, failed, next);
    }

    private async Task<Outcome> DeliverAsync(WebhookSender sender, PendingOutboxEntry pending, WebhookOptions o, CancellationToken cancellationToken)
    {
        var (payment, entry) = (pending.Payment, pending.Entry);
        using var scope = PaymentLogScope.Begin(logger, payment);
        var attempt = entry.Attempts + 1;
        var result = await sender.SendAsync(entry.EventId, WebhookPayload.Build(pending), cancellationToken).ConfigureAwait(false);
        if (result.Delivered)
        {
            try
            {
                await store.MarkOutboxDeliveredAsync(payment.Id, entry.EventId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                WebhookLog.MarkFailed(logger, e, entry.EventId, payment.Id);
                return Outcome.Unrecorded;
            }

            WebhookLog.Delivered(logger, entry.EventId, entry.Type, payment.Id, attempt, result.StatusCode ?? 0);
            return Outcome.Delivered;
        }

        var failure = result.Failure ?? "failed";
        if (o.MaxAttempts is { } max && attempt >= max)
        {
            // Parked: never due again. The entry and its last error stay in the payment document for an operator.
            await store.RecordOutboxFailureAsync(
                payment.Id,
                entry.EventId,
                DateTimeOffset.MaxValue,
                string.Create(CultureInfo.InvariantCulture, $"gave up after {attempt} attempts: {failure}"),
                cancellationToken).ConfigureAwait(false);
            WebhookLog.GaveUp(logger, entry.EventId, entry.Type, payment.Id, attempt, failure);
            return Outcome.Failed;
        }

        var nextAttempt = time.GetUtcNow() + WebhookBackoff.Delay(attempt, o.BackoffBase, o.BackoffMax, Jitter());
        await store.RecordOutboxFailureAsync(payment.Id, entry.EventId, nextAttempt, failure, cancellationToken).ConfigureAwait(false);
        WebhookLog.AttemptFailed(logger, entry.EventId, entry.Type, payment.Id, attempt, failure, nextAttempt);
        return Outcome.Failed;
    }

    private async Task WaitAsync(WebhookPass pass, CancellationToken cancellationToken)
    {
        var delay = pass.NextPassTime - time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            PassCompleted?.Invoke(pass);
            return;
        }

        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Delay(delay, time, wake.Token);
        var signalled = signal.WaitAsync(wake.Token);
        PassCompleted?.Invoke(pass);
        await Task.WhenAny(timer, signalled).ConfigureAwait(false);
        await wake.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(timer, signalled).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private enum Outcome
    {
        Delivered,
        Failed,

        /// <summary>Delivered, but the store did not record it: it will be sent again.</summary>
        Unrecorded,
    }
}

/// <summary>What one dispatcher pass did and when the next is planned (unless a signal comes first).</summary>
/// <param name="Time">The clock when the pass read the due entries: what it did reflects the outbox as of then.</param>
/// <param name="Delivered">Entries delivered (marked or not).</param>
/// <param name="Failed">Attempts that failed (or gave up).</param>
/// <param name="NextPassTime">When the next pass is planned.</param>
internal sealed record WebhookPass(DateTimeOffset Time, int Delivered, int Failed, DateTimeOffset NextPassTime);
