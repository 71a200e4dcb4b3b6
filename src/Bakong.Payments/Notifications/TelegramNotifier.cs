using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Bakong.Payments.Reporting;
using Bakong.Payments.Storage;
using Bakong.Payments.Webhooks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Notifications;

/// <summary>
/// Announces every settled payment (its <c>payment.paid</c> / <c>payment.paid_late</c> outbox entry) in the
/// configured Telegram chats. The outbox entry is written in the same write as the settlement, so a settled payment
/// always has one; this sink reads the entries of recently created settled payments and keeps its own record of
/// what it delivered per (event id, chat) in <see cref="TelegramDeliveries"/>: at least once, never twice for a
/// recorded delivery. Review-required events are not announced: that money is not the shop's until an operator says.
/// </summary>
internal sealed class TelegramNotifier(
    IPaymentStore store,
    TelegramDeliveries deliveries,
    TelegramSignal signal,
    IHttpClientFactory httpClients,
    IOptions<TelegramOptions> options,
    IOptions<ReportOptions> reports,
    IMeterFactory meters,
    TimeProvider time,
    ILogger<TelegramNotifier> logger) : BackgroundService
{
    private readonly Counter<long> _messages = meters.Create(Telemetry.PaymentMetrics.MeterName)
        .CreateCounter<long>("bakong.notifications.telegram", "{message}", "Telegram announcements by outcome: sent, retry, gave_up.");

    /// <summary>Called after each pass, once the notifier waits for its next one (its timer armed).</summary>
    internal Action<DateTimeOffset>? PassCompleted { get; set; }

    internal Func<double> Jitter { get; set; } = Random.Shared.NextDouble;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return;
        }

        var sender = new TelegramSender(httpClients.CreateClient(TelegramSender.HttpClientName), o.ApiBaseUrl, o.ReadToken(), o.Timeout);
        var apiBase = o.ApiBaseUrl.GetLeftPart(UriPartial.Authority);
        TelegramLog.Started(logger, o.Chats.Count, apiBase);
        while (!stoppingToken.IsCancellationRequested)
        {
            signal.Reset();
            DateTimeOffset next;
            try
            {
                next = await RunPassAsync(o, sender, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The sink outlives any one failure (a store fault): log it and try again later.
            catch (Exception e)
#pragma warning restore CA1031
            {
                TelegramLog.PassFailed(logger, sender.Redact(e.GetType().Name + ": " + e.Message), o.PollInterval);
                next = time.GetUtcNow() + o.PollInterval;
            }

            try
            {
                await WaitAsync(next, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<DateTimeOffset> RunPassAsync(TelegramOptions o, TelegramSender sender, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var next = now + o.PollInterval;
        foreach (var state in (PaymentState[])[PaymentState.Paid, PaymentState.PaidLate])
        {
            string? page = null;
            do
            {
                var result = await store.ListAsync(
                    new PaymentQuery { State = state, CreatedFrom = now - o.CatchUpWindow, PageSize = PaymentLimits.MaxPageSize, PageToken = page },
                    cancellationToken).ConfigureAwait(false);
                foreach (var payment in result.Payments)
                {
                    foreach (var entry in payment.Outbox)
                    {
                        if (entry.Type is not ("payment.paid" or "payment.paid_late"))
                        {
                            continue;
                        }

                        foreach (var chat in o.Chats)
                        {
                            if (!chat.Covers(payment.TerminalId))
                            {
                                continue;
                            }

                            var due = await AnnounceAsync(o, sender, payment, entry, chat, cancellationToken).ConfigureAwait(false);
                            if (due is { } d && d < next)
                            {
                                next = d;
                            }
                        }
                    }
                }

                page = result.NextPageToken;
            }
            while (page is not null);
        }

        return next;
    }

    /// <summary>Sends one message unless recorded as done or not yet due; returns when it is due again, if it is.</summary>
    private async Task<DateTimeOffset?> AnnounceAsync(
        TelegramOptions o, TelegramSender sender, Payment payment, OutboxEntry entry, TelegramChatOptions chat, CancellationToken cancellationToken)
    {
        var chatId = chat.ChatId!;
        var key = TelegramDeliveries.KeyOf(entry.EventId, chatId);
        var record = deliveries.Get(key) ?? new DeliveryRecord { Id = key };
        if (record.IsDone)
        {
            return null;
        }

        if (record.NextAttemptUtc is { } nextAttempt && new DateTimeOffset(nextAttempt, TimeSpan.Zero) > time.GetUtcNow())
        {
            return new DateTimeOffset(nextAttempt, TimeSpan.Zero);
        }

        var text = TelegramText.For(
            payment, entry.Type == "payment.paid_late", entry.CreateTime, reports.Value.Zone, chat.Language ?? o.Language);
        var result = await sender.SendAsync(chatId, text, cancellationToken).ConfigureAwait(false);
        record.Attempts++;
        if (result.Outcome == SendOutcome.Sent)
        {
            record.DeliveredUtc = time.GetUtcNow().UtcDateTime;
            deliveries.Put(record);
            _messages.Add(1, new KeyValuePair<string, object?>("outcome", "sent"));
            TelegramLog.Sent(logger, entry.EventId, payment.Id, chatId, record.Attempts);
            return null;
        }

        var failure = result.Failure ?? "failed";
        if (result.Outcome == SendOutcome.Permanent || record.Attempts >= o.MaxAttempts)
        {
            record.GaveUp = failure;
            deliveries.Put(record);
            _messages.Add(1, new KeyValuePair<string, object?>("outcome", "gave_up"));
            TelegramLog.GaveUp(logger, entry.EventId, chatId, record.Attempts, failure);
            return null;
        }

        var due = time.GetUtcNow() + (result.RetryAfter ?? WebhookBackoff.Delay(record.Attempts, o.BackoffBase, o.BackoffMax, Jitter()));
        record.NextAttemptUtc = due.UtcDateTime;
        deliveries.Put(record);
        _messages.Add(1, new KeyValuePair<string, object?>("outcome", "retry"));
        TelegramLog.AttemptFailed(logger, entry.EventId, chatId, record.Attempts, failure, due);
        return due;
    }

    private async Task WaitAsync(DateTimeOffset next, CancellationToken cancellationToken)
    {
        var delay = next - time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            PassCompleted?.Invoke(next);
            return;
        }

        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Delay(delay, time, wake.Token);
        var signalled = signal.WaitAsync(wake.Token);
        PassCompleted?.Invoke(next);
        await Task.WhenAny(timer, signalled).ConfigureAwait(false);
        await wake.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(timer, signalled).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }
}

/// <summary>Wakes the notifier when a payment settles (a coalescing signal, as the webhook dispatcher's).</summary>
internal sealed class TelegramSignal : IPaymentChangeSink
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Saved(Payment payment, IReadOnlyList<PaymentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Any(e => e.Type is PaymentEventType.Paid or PaymentEventType.PaidLate))
        {
            Notify();
        }
    }

    public void Notify() => _channel.Writer.TryWrite(true);

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        _channel.Reader.TryRead(out _);
    }

    public void Reset() => _channel.Reader.TryRead(out _);
}
