using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Notifications;

/// <summary>
/// What an operator does with the announcements (the admin API, <c>bakong notify telegram</c>): their status, the bot
/// token, a test message. The token goes into the token store encrypted and is never returned, logged or echoed.
/// </summary>
public sealed class TelegramAnnouncements
{
    private readonly TelegramNotifier _notifier;
    private readonly TelegramSignal _signal;
    private readonly StoredSecrets _secrets;
    private readonly IOptions<TelegramOptions> _options;
    private readonly ILogger<TelegramAnnouncements> _logger;

    internal TelegramAnnouncements(
        TelegramNotifier notifier, TelegramSignal signal, StoredSecrets secrets, IOptions<TelegramOptions> options, ILogger<TelegramAnnouncements> logger)
    {
        _notifier = notifier;
        _signal = signal;
        _secrets = secrets;
        _options = options;
        _logger = logger;
    }

    /// <summary>
    /// Whether <paramref name="request"/> is a Bot API call, whose URL carries the bot token: HTTP tracing (the URL is a
    /// span attribute, <c>url.full</c>) leaves it out. The HTTP client's loggers are removed for the same reason.
    /// </summary>
    public static bool CarriesBotToken(HttpRequestMessage request) =>
        request is not null && request.Options.TryGetValue(TelegramSender.TokenInUrl, out var carries) && carries;

    /// <summary>Whether announcements are on, whether a token is set and when, and each chat's last announcement and failure.</summary>
    public TelegramStatus GetStatus()
    {
        var o = _options.Value;
        var token = _secrets.Describe(StoredSecrets.TelegramBotToken);
        var chats = o.Chats.Select(c =>
        {
            _notifier.Chats.TryGetValue(c.ChatId ?? "", out var state);
            return new TelegramChatStatus(c.ChatId ?? "", c.Language ?? o.Language, [.. c.Terminals], state?.LastDelivery, state?.LastError, state?.LastErrorAt);
        }).ToList();
        return new TelegramStatus(o.Enabled, token.IsSet, token.Unreadable, token.SetAt, chats);
    }

    /// <summary>
    /// Stores the bot token (already checked with <see cref="StoredSecrets.ReadTelegramBotToken"/>) and wakes the
    /// notifier, which uses it from its next pass on.
    /// </summary>
    public TelegramStatus SetToken(string token, string operatorId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        _secrets.Set(StoredSecrets.TelegramBotToken, token);
        TelegramLog.TokenSet(_logger, operatorId);
        _signal.Notify();
        return GetStatus();
    }

    /// <summary>One test message to every configured chat; null when announcements are off or no token is set.</summary>
    public Task<IReadOnlyList<TelegramTestResult>?> SendTestAsync(CancellationToken cancellationToken) => _notifier.SendTestAsync(cancellationToken);
}

/// <summary>The announcements' status; never the token.</summary>
/// <param name="Enabled"><c>Notifications:Telegram:Enabled</c>.</param>
/// <param name="TokenSet">A bot token is stored and opens with the token key.</param>
/// <param name="TokenUnreadable">A token is stored but the token key no longer opens it: set it again.</param>
/// <param name="TokenSetAt">When the token was last set.</param>
/// <param name="Chats">The configured chats.</param>
public sealed record TelegramStatus(bool Enabled, bool TokenSet, bool TokenUnreadable, DateTimeOffset? TokenSetAt, IReadOnlyList<TelegramChatStatus> Chats);

/// <summary>One configured chat, with its last announcement and last failure since the gateway started.</summary>
/// <param name="ChatId">The chat id or <c>@channel</c>.</param>
/// <param name="Language"><c>en</c> or <c>km</c>.</param>
/// <param name="Terminals">The terminals announced there; empty: all.</param>
/// <param name="LastDelivery">When the last announcement reached it.</param>
/// <param name="LastError">The last failure, as Telegram described it (the token removed).</param>
/// <param name="LastErrorAt">When it failed.</param>
public sealed record TelegramChatStatus(
    string ChatId, string Language, IReadOnlyList<string> Terminals, DateTimeOffset? LastDelivery, string? LastError, DateTimeOffset? LastErrorAt);

/// <summary>How the test message went in one chat.</summary>
/// <param name="ChatId">The chat.</param>
/// <param name="Sent">Telegram accepted it.</param>
/// <param name="Failure">Why not (the token removed).</param>
public sealed record TelegramTestResult(string ChatId, bool Sent, string? Failure);
