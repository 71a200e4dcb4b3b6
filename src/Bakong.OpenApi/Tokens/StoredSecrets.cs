using System.Buffers;

namespace Bakong.OpenApi.Tokens;

/// <summary>
/// Secrets the gateway keeps beside the Bakong token, in the same store and sealed the same way (AES-256-GCM under the
/// token store's key file; <see cref="TokenCipher"/>): <c>bakong token rotate-key</c> re-encrypts them, a backup of the
/// token store carries them, and deleting the key file revokes them with the token. Today there is one, the Telegram
/// bot token (<see cref="TelegramBotToken"/>). Nothing here logs or returns a value except <see cref="Get"/>.
/// </summary>
public sealed class StoredSecrets
{
    /// <summary>The Telegram bot token's name in the store.</summary>
    public const string TelegramBotToken = "telegram-bot";

    /// <summary>Why <see cref="ReadTelegramBotToken"/> refused a value; it never quotes the value.</summary>
    public const string NotATelegramBotTokenMessage =
        "That is not a Telegram bot token (digits, a colon, then 30 to 60 letters, digits, '_' or '-', as @BotFather gives it).";

    private static readonly SearchValues<char> s_digits = SearchValues.Create("0123456789");
    private static readonly SearchValues<char> s_secretChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    private readonly ITokenStore _store;
    private readonly TimeProvider _time;

    internal StoredSecrets(ITokenStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>
    /// A bot token as an operator pasted it, without surrounding space; null when it is not shaped like one. Checked
    /// before anything is stored, so a line of the wrong message pasted is refused, not sent to Telegram later.
    /// </summary>
    public static string? ReadTelegramBotToken(string? pasted)
    {
        var value = pasted?.Trim() ?? string.Empty;
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var id = colon > 0 ? value.AsSpan(0, colon) : default;
        var secret = colon > 0 ? value.AsSpan(colon + 1) : default;
        return id.Length is > 0 and <= 20
            && !id.ContainsAnyExcept(s_digits)
            && secret.Length is >= 30 and <= 60
            && !secret.ContainsAnyExcept(s_secretChars)
            ? value
            : null;
    }

    /// <summary>The secret, or null when none is set or the key file no longer opens it.</summary>
    public string? Get(string name) => _store.LoadSecret(name, out _)?.Value;

    /// <summary>Whether the secret is set, and when; never its value.</summary>
    public StoredSecretStatus Describe(string name) => _store.LoadSecret(name, out var unreadable) is { } stored
        ? new StoredSecretStatus(!unreadable, unreadable, stored.SetAt)
        : new StoredSecretStatus(false, false, null);

    /// <summary>Saves (or replaces) the secret, encrypted; returns when it was set.</summary>
    public DateTimeOffset Set(string name, string value)
    {
        var now = _time.GetUtcNow();
        _store.SaveSecret(name, value, now);
        return now;
    }
}

/// <summary>What <see cref="StoredSecrets.Describe"/> says of one secret.</summary>
/// <param name="IsSet">A value is stored and opens with the key file.</param>
/// <param name="Unreadable">A value is stored but the key file does not open it (replaced): set it again.</param>
/// <param name="SetAt">When it was last set.</param>
public sealed record StoredSecretStatus(bool IsSet, bool Unreadable, DateTimeOffset? SetAt);
