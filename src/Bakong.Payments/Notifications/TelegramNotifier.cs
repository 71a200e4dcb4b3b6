using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Bakong.OpenApi.Tokens;
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
/// The bot token is read from the token store (<see cref="StoredSecrets"/>) at every pass, so a token set while the
/// gateway runs is used from the next pass on; until one is set the notifier only waits.
/// </summary>
internal sealed class TelegramNotifier(
    IPaymentStore store,
    TelegramDeliveries deliveries,
    TelegramSignal signal,
    StoredSecrets secrets,
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

    /// <summary>Each chat's last announcement and last failure since the gateway started, for the status.</summary>
    internal ConcurrentDictionary<string, TelegramChatState> Chats { get; } = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return;
        }

        var apiBase = o.ApiBaseUrl.GetLeftPart(UriPartial.Authority);
        TelegramLog.Started(logger, o.Chats.Count, apiBase);
        var toldNoToken = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            signal.Reset();
            DateTimeOffset next;
            TelegramSender? sender = null;
            try
            {
                sender = Sender();
                if (sender is null)
                {
                    // Said once, not every poll: 'bakong notify telegram status' keeps saying it.
                    if (!toldNoToken)
                    {
                        TelegramLog.NoToken(logger);
                        toldNoToken = true;
                    }

                    next = time.GetUtcNow() + o.PollInterval;
                }
                else
                {
                    toldNoToken = false;
                    next = await RunPassAsync(o, sender, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The sink outlives any one failure (a store fault): log it and try again later.
            catch (Exception e)
#pragma warning restore CA1031
            {
                var failure = e.GetType().Name + ": " + e.Message;
                TelegramLog.PassFailed(logger, sender?.Redact(failure) ?? failure, o.PollInterval);
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

    /// <summary>
    /// <c>bakong notify telegram test</c>: one test message to every configured chat now, outside the outbox (nothing is
    /// recorded, nothing retried). Null when announcements are off or no token is set.
    /// </summary>
    internal async Task<IReadOnlyList<TelegramTestResult>?> SendTestAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled || Sender() is not { } sender)
        {
            return null;
        }

        var results = new List<TelegramTestResult>(o.Chats.Count);
        foreach (var chat in o.Chats)
        {
            var result = await sender.SendAsync(chat.ChatId!, TelegramText.Test(chat.Language ?? o.Language), cancellationToken).ConfigureAwait(false);
            results.Add(new TelegramTestResult(chat.ChatId!, result.Outcome == SendOutcome.Sent, result.Failure));
        }

        return results;
    }

    /// <summary>A sender for the token stored now; null when none is set (or the key file no longer opens it).</summary>
    private TelegramSender? Sender()
    {
        var o = options.Value;
        return secrets.Get(StoredSecrets.TelegramBotToken) is { } token
            ? new TelegramSender(httpClients.CreateClient(TelegramSender.HttpClientName), o.ApiBaseUrl, token, o.Timeout)
            : null;
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

        if (record.NextAttempt is { } nextAttempt && nextAttempt > time.GetUtcNow())
        {
            return nextAttempt;
        }

        var text = TelegramText.For(
            payment, entry.Type == "payment.paid_late", entry.CreateTime, reports.Value.Zone, chat.Language ?? o.Language);
        var result = await sender.SendAsync(chatId, text, cancellationToken).ConfigureAwait(false);
        record.Attempts++;
        if (result.Outcome == SendOutcome.Sent)
        {
            record.Delivered = time.GetUtcNow();
            deliveries.Put(record);
            Chats.AddOrUpdate(chatId, _ => new TelegramChatState(record.Delivered, null, null), (_, s) => s with { LastDelivery = record.Delivered });
            _messages.Add(1, new KeyValuePair<string, object?>("outcome", "sent"));
            TelegramLog.Sent(logger, entry.EventId, payment.Id, chatId, record.Attempts);
            return null;
        }

        var failure = result.Failure ?? "failed";
        var failedAt = time.GetUtcNow();
        Chats.AddOrUpdate(chatId, _ => new TelegramChatState(null, failure, failedAt), (_, s) => s with { LastError = failure, LastErrorAt = failedAt });
        if (result.Outcome == SendOutcome.Permanent || record.Attempts >= o.MaxAttempts)
        {
            record.GaveUp = failure;
            deliveries.Put(record);
            _messages.Add(1, new KeyValuePair<string, object?>("outcome", "gave_up"));
            TelegramLog.GaveUp(logger, entry.EventId, chatId, record.Attempts, failure);
            return null;
        }

        var due = time.GetUtcNow() + (result.RetryAfter ?? WebhookBackoff.Delay(record.Attempts, o.BackoffBase, o.BackoffMax, Jitter()));
        record.NextAttempt = due;
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

/// <summary>One chat's last announcement and last failure (redacted), since the gateway started.</summary>
internal sealed record TelegramChatState(DateTimeOffset? LastDelivery, string? LastError, DateTimeOffset? LastErrorAt);

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
