using Bakong.OpenApi.Client;
using Bakong.Payments.Storage;
using Bakong.Payments.Telemetry;
using Bakong.Payments.Writing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Polling;

/// <summary>
/// Asks Bakong about every payment that is due — pending ones on their backoff schedule, expired and cancelled ones on
/// the <see cref="ReconciliationSchedule"/> — and applies the answers as the <see cref="PollingPolicy"/> decides.
/// </summary>
/// <remarks>
/// <para>
/// One loop, no timer or task per payment: each pass reads the payments whose stored next check time has come, asks
/// Bakong in md5-list calls of at most <see cref="PaymentPollerOptions.BatchSize"/>, and saves every payment with its
/// next check time, a list call's payments together (the store commits concurrent saves as one batch). All the schedule
/// lives in the store, so a restarted poller continues where the last one stopped.
/// The loop sleeps <see cref="PaymentPollerOptions.TickInterval"/> on the <see cref="TimeProvider"/>, or less when
/// <see cref="IPollerSignal.Notify"/> wakes it. A new payment is due at once and waits for the next tick: a creation
/// does not wake the loop, so a busy till's creates share one pass and its list calls instead of a pass each.
/// </para>
/// <para>
/// A fault (no usable answer: timeout, 5xx, 429, 401, geo-block, open circuit, malformed) never changes a payment's
/// state: it is checked again after a delay that doubles while faults go on. Once a list call faults, the rest of the
/// pass is not sent, so a rate-limited or blocked Bakong is not hammered.
/// </para>
/// <para>
/// Saves go through the <see cref="PaymentWriter"/>. When a payment changed between the read and the save (a cancel),
/// the writer reads it again and the poller applies the same answer to what is stored: a cancel is never overwritten,
/// and money found for a cancelled payment becomes <see cref="PaymentState.PaidLate"/>.
/// </para>
/// </remarks>
internal sealed class PaymentPoller : BackgroundService
{
    private readonly IPaymentStore _store;
    private readonly PaymentWriter _writer;
    private readonly IBakongClient _client;
    private readonly PollerSignal _signal;
    private readonly PaymentPollerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly PollerMetrics _metrics;
    private readonly PollingPolicy _policy;
    private int _faultsInARow;

    public PaymentPoller(
        IPaymentStore store,
        PaymentWriter writer,
        IBakongClient client,
        PollerSignal signal,
        IOptions<PaymentPollerOptions> options,
        TimeProvider timeProvider,
        ILogger<PaymentPoller> logger,
        PollerMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(signal);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(metrics);
        _store = store;
        _writer = writer;
        _client = client;
        _signal = signal;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _metrics = metrics;
        _policy = new PollingPolicy(_options);
    }

    /// <summary>Called after every pass of the loop (tests wait on it).</summary>
    internal Action<PollPass>? PassCompleted { get; set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        PollerLog.Started(_logger, _options.BatchSize, _options.FastInterval, _options.MediumInterval, _options.SlowInterval, _options.ExpiryGrace);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = _options.TickInterval;
            try
            {
                var pass = await RunOnceAsync(_timeProvider.GetUtcNow(), stoppingToken).ConfigureAwait(false);
                failures = 0;
                if (pass.MoreDue)
                {
                    wait = TimeSpan.Zero;
                }

                PassCompleted?.Invoke(pass);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must outlive a failing store or client; the failure is logged and retried.
            catch (Exception e)
#pragma warning restore CA1031
            {
                wait = _options.FaultDelay(++failures);
                PollerLog.PassFailed(_logger, e, wait);
            }

            try
            {
                await _signal.WaitAsync(wait, _timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One pass: every payment due at <paramref name="now"/> (up to <see cref="PaymentPollerOptions.MaxDuePerPass"/>) is checked and saved.</summary>
    internal async Task<PollPass> RunOnceAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var due = await _store.GetDueAsync(now, _options.MaxDuePerPass, cancellationToken).ConfigureAwait(false);

        // A pass with nothing due is the idle tick: not worth a trace.
        using var activity = due.Count == 0 ? null : PaymentActivities.Source.StartActivity("poll pass");
        activity?.SetTag("bakong.poll.due", due.Count);
        var calls = 0;
        var faults = 0;
        var saved = 0;
        var skipped = 0;
        BakongFault? backOff = null;
        foreach (var batch in due.Chunk(_options.BatchSize))
        {
            IReadOnlyDictionary<string, BakongResult<TransactionCheck>>? answers = null;
            if (backOff is null)
            {
                var md5s = new string[batch.Length];
                for (var i = 0; i < batch.Length; i++)
                {
                    md5s[i] = batch[i].Md5;
                }

                _metrics.Batch(md5s.Length);
                answers = await _client.CheckTransactionsByMd5Async(md5s, cancellationToken).ConfigureAwait(false);
                calls++;
            }

            var results = new BakongResult<TransactionCheck>[batch.Length];
            var faulted = 0;
            BakongResult<TransactionCheck>? firstFault = null;
            for (var i = 0; i < batch.Length; i++)
            {
                results[i] = answers is null
                    ? BakongResult<TransactionCheck>.Failed(backOff!)
                    : answers.TryGetValue(batch[i].Md5, out var answer)
                        ? answer
                        : BakongResult<TransactionCheck>.Failed(new BakongFault(BakongFaultKind.Malformed, "Bakong's list answer has no entry for this md5."));
                if (!results[i].IsSuccess)
                {
                    faulted++;
                    firstFault ??= results[i];
                }
            }

            // Faults on every md5 say Bakong is unusable right now; a partial fault is not a reason to slow down more.
            if (answers is not null && faulted == batch.Length)
            {
                _faultsInARow++;
                backOff = firstFault!.Fault ?? new BakongFault(BakongFaultKind.Malformed, firstFault.Failure ?? "no usable answer");
            }
            else if (answers is not null && faulted == 0)
            {
                _faultsInARow = 0;
            }

            var faultDelay = _options.FaultDelay(Math.Max(1, _faultsInARow));
            faults += faulted;
            if (answers is null)
            {
                skipped += batch.Length;
            }
            else if (faulted > 0)
            {
                ReportFaults(results, faultDelay);
            }

            // All of the batch's saves at once: the store commits what is queued together, so a batch's bookkeeping is
            // one transaction rather than one per payment. Each payment is still saved (and retried) on its own.
            var saves = new Task<bool>[batch.Length];
            for (var i = 0; i < batch.Length; i++)
            {
                saves[i] = ProcessAsync(batch[i], results[i], now, faultDelay, cancellationToken);
            }

            foreach (var ok in await Task.WhenAll(saves).ConfigureAwait(false))
            {
                if (ok)
                {
                    saved++;
                }
            }
        }

        if (skipped > 0)
        {
            _metrics.Faulted(backOff!.Kind.ToString(), skipped);
            PollerLog.NotAsked(_logger, skipped, backOff.Kind.ToString());
        }

        activity?.SetTag("bakong.poll.calls", calls);
        activity?.SetTag("bakong.poll.faults", faults);
        activity?.SetTag("bakong.poll.saved", saved);
        return new PollPass(now, due.Count, calls, faults, saved, MoreDue: due.Count == _options.MaxDuePerPass && saved > 0);
    }

    private void ReportFaults(BakongResult<TransactionCheck>[] results, TimeSpan retryDelay)
    {
        // One log line per kind of fault in the batch, not one per payment.
        var byKind = new Dictionary<string, (int Count, BakongResult<TransactionCheck> First)>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            if (!result.IsSuccess)
            {
                var kind = PollerLog.Describe(result.Fault, result.ErrorCode);
                byKind[kind] = byKind.TryGetValue(kind, out var seen) ? (seen.Count + 1, seen.First) : (1, result);
            }
        }

        foreach (var (kind, (count, first)) in byKind)
        {
            _metrics.Faulted(kind, count);
            PollerLog.CheckFault(_logger, count, kind, first.Fault?.HttpStatus, first.Failure ?? "no usable answer", retryDelay);
        }
    }

    /// <summary>Applies one answer and saves (the writer re-reads on a conflict). True when a save went through.</summary>
    private async Task<bool> ProcessAsync(
        Payment payment, BakongResult<TransactionCheck> result, DateTimeOffset now, TimeSpan faultDelay, CancellationToken cancellationToken)
    {
        using var scope = PaymentLogScope.Begin(_logger, payment);
        if (result.IsSuccess)
        {
            _metrics.Checked(ResultName(payment, result.Value));
            if (result.Value is TransactionCheck.StaticQrUnsupported)
            {
                PollerLog.StaticQr(_logger, payment.Id, payment.Md5);
            }
        }

        var before = payment.State;
        WriteOutcome outcome;
        try
        {
            outcome = await _writer.ChangeAsync(
                payment,
                current =>
                {
                    // Called again only with the payment as stored after a conflict: the answer is applied to that.
                    if (!ReferenceEquals(current, payment))
                    {
                        PollerLog.SaveRetry(_logger, current.Id);
                    }

                    before = current.State;
                    return _policy.Apply(current, result, now, faultDelay);
                },
                saved => Report(saved.Payment, before, saved.Events),
                cancellationToken).ConfigureAwait(false);
        }
        catch (PaymentConflictException conflict)
        {
            // The answer is not lost: the payment stays due and the next pass applies a new one to what is stored.
            PollerLog.SaveGaveUp(_logger, payment.Id, conflict.Attempts);
            return false;
        }

        switch (outcome)
        {
            case WriteOutcome.Saved:
                return true;
            case WriteOutcome.NotFound:
                PollerLog.PaymentGone(_logger, payment.Id);
                return false;
            default:
                return false;
        }
    }

    private void Report(Payment payment, PaymentState before, IReadOnlyList<PaymentEvent> events)
    {
        foreach (var e in events)
        {
            switch (e.Type)
            {
                case PaymentEventType.Paid:
                    PollerLog.Paid(_logger, payment.Id, payment.Transaction?.Hash);
                    break;
                case PaymentEventType.PaidLate:
                    PollerLog.PaidLate(_logger, payment.Id, payment.Transaction?.Hash, before);
                    break;
                case PaymentEventType.Failed:
                    PollerLog.Failed(_logger, payment.Id, payment.FailureReason);
                    break;
                case PaymentEventType.Expired:
                    PollerLog.Expired(_logger, payment.Id, payment.ExpireTime);
                    break;
                case PaymentEventType.ReviewRequired when payment.Review is { } review:
                    PaymentLog.NeedsReview(_logger, payment.Id, payment.State, review.Transaction.Hash, review.Reason);
                    break;
            }

            if (e.IsOutcome)
            {
                _metrics.Transitioned(e.State);
            }
        }

        if (payment.State is PaymentState.Expired or PaymentState.Cancelled && payment.NextCheckTime is null)
        {
            PollerLog.ReconciliationFinished(_logger, payment.Id, payment.State);
        }
    }

    private static string ResultName(Payment payment, TransactionCheck check) => check switch
    {
        TransactionCheck.Paid => "transfer",
        TransactionCheck.Failed => "failed",
        TransactionCheck.StaticQrUnsupported => "static_qr",
        _ => payment.State == PaymentState.Pending ? "not_found" : "not_found_reconciliation",
    };
}

/// <summary>What one poller pass did.</summary>
/// <param name="Now">The time the pass checked at.</param>
/// <param name="Due">Payments that were due.</param>
/// <param name="Calls">List calls made to Bakong.</param>
/// <param name="Faults">Payments whose check got no usable answer.</param>
/// <param name="Saved">Payments saved (rescheduled or transitioned).</param>
/// <param name="MoreDue">The pass was full: more payments may be due already.</param>
internal sealed record PollPass(DateTimeOffset Now, int Due, int Calls, int Faults, int Saved, bool MoreDue);
