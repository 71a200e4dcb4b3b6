using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Notifications;

/// <summary>
/// <c>Notifications:Telegram:*</c> — a Telegram message per settled payment, fed by the payment outbox. Off unless
/// <see cref="Enabled"/>. The bot token is a secret and never a setting: it is kept encrypted in the token store
/// (<see cref="Bakong.OpenApi.Tokens.StoredSecrets"/>), set with <c>bakong notify telegram set-token</c>.
/// </summary>
public sealed class TelegramOptions : IValidatableObject
{
    public const string Section = "Notifications:Telegram";

    public bool Enabled { get; set; }

    /// <summary>The Bot API; a test points it at a fake on loopback. https unless the host is loopback.</summary>
    public Uri ApiBaseUrl { get; set; } = new("https://api.telegram.org");

    /// <summary>The language of chats that do not name one: <c>en</c> or <c>km</c>.</summary>
    public string Language { get; set; } = "en";

    /// <summary>Where the messages go. Merchant profiles are not on this branch: a chat lists terminals instead.</summary>
    public IList<TelegramChatOptions> Chats { get; } = [];

    /// <summary>How far back (by payment creation) a pass looks for settled payments not yet announced.</summary>
    public TimeSpan CatchUpWindow { get; set; } = TimeSpan.FromDays(1);

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts before a message is given up (a message about a sale hours late is of little use).</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 10;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (!ApiBaseUrl.IsAbsoluteUri || (ApiBaseUrl.Scheme != Uri.UriSchemeHttps && !(ApiBaseUrl.Scheme == Uri.UriSchemeHttp && IsLoopback(ApiBaseUrl))))
        {
            yield return new ValidationResult(
                "Notifications:Telegram:ApiBaseUrl must be an absolute https URL (http only on loopback).", [nameof(ApiBaseUrl)]);
        }

        if (!TelegramText.IsLanguage(Language))
        {
            yield return new ValidationResult("Notifications:Telegram:Language must be en or km.", [nameof(Language)]);
        }

        if (Chats.Count == 0)
        {
            yield return new ValidationResult("Notifications:Telegram:Chats needs at least one chat (ChatId).", [nameof(Chats)]);
        }

        for (var i = 0; i < Chats.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Chats[i].ChatId) || Chats[i].ChatId!.Length > 64)
            {
                yield return new ValidationResult($"Notifications:Telegram:Chats:{i}:ChatId is required (a chat id such as -1001234567890 or @channel).", ["Chats"]);
            }

            if (Chats[i].Language is { } language && !TelegramText.IsLanguage(language))
            {
                yield return new ValidationResult($"Notifications:Telegram:Chats:{i}:Language must be en or km.", ["Chats"]);
            }
        }

        if (PollInterval <= TimeSpan.Zero || Timeout <= TimeSpan.Zero || BackoffBase <= TimeSpan.Zero || BackoffMax < BackoffBase || CatchUpWindow <= TimeSpan.Zero)
        {
            yield return new ValidationResult(
                "Notifications:Telegram: PollInterval, Timeout, BackoffBase and CatchUpWindow must be positive and BackoffMax at least BackoffBase.", [nameof(PollInterval)]);
        }
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>One chat the bot posts to.</summary>
public sealed class TelegramChatOptions
{
    /// <summary>The chat id (a number, negative for groups) or a channel's <c>@name</c>.</summary>
    public string? ChatId { get; set; }

    /// <summary><c>en</c> or <c>km</c>; default <see cref="TelegramOptions.Language"/>.</summary>
    public string? Language { get; set; }

    /// <summary>The terminals announced in this chat; empty: every terminal. (A merchant profile id goes here once profiles exist.)</summary>
    public IList<string> Terminals { get; } = [];

    internal bool Covers(string terminalId) => Terminals.Count == 0 || Terminals.Contains(terminalId, StringComparer.Ordinal);
}

[OptionsValidator]
internal sealed partial class TelegramOptionsValidator : IValidateOptions<TelegramOptions>
{
}
