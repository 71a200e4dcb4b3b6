using System.Text;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.OpenApi.Tests.Tokens;

/// <summary>The Telegram bot token in the token store: encrypted like the Bakong token, rotated and revoked with it.</summary>
public sealed class StoredSecretsTests
{
    private const string BotToken = "7654321:AAH-fake_bot_TOKEN-never-on-disk";
    private static readonly DateTimeOffset s_now = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_bot_token_is_kept_encrypted_and_survives_a_restart_with_when_it_was_set()
    {
        using var directory = new TempDirectory();
        using (var store = new TokenStore(directory.File("tokens.db")))
        {
            var secrets = new StoredSecrets(store, new FakeTimeProvider(s_now));
            Assert.Equal(new StoredSecretStatus(false, false, null), secrets.Describe(StoredSecrets.TelegramBotToken));
            Assert.Equal(s_now, secrets.Set(StoredSecrets.TelegramBotToken, BotToken));
        }

        var bytes = directory.AllDatabaseBytes();
        Assert.NotEmpty(bytes);
        Assert.DoesNotContain(BotToken, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.DoesNotContain(BotToken.Split(':')[1], Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.DoesNotContain(BotToken, Encoding.Unicode.GetString(bytes), StringComparison.Ordinal);

        using var reopened = new TokenStore(directory.File("tokens.db"));
        var again = new StoredSecrets(reopened, new FakeTimeProvider(s_now.AddDays(1)));
        Assert.Equal(BotToken, again.Get(StoredSecrets.TelegramBotToken));
        Assert.Equal(new StoredSecretStatus(true, false, s_now), again.Describe(StoredSecrets.TelegramBotToken));

        // Beside the Bakong tokens, not instead of them.
        Assert.Null(reopened.Load(BakongEnvironment.Sandbox, out _));
    }

    [Fact]
    public void Rotate_key_re_encrypts_the_bot_token_and_a_replaced_key_file_makes_it_unreadable_not_wrong()
    {
        using var directory = new TempDirectory();
        using (var store = new TokenStore(directory.File("tokens.db")))
        {
            new StoredSecrets(store, new FakeTimeProvider(s_now)).Set(StoredSecrets.TelegramBotToken, BotToken);
            store.SaveToken(BakongEnvironment.Sit, new BakongToken("sit-token", null), null, s_now, renewed: false);
            store.RotateKey(s_now);
            Assert.Equal(BotToken, new StoredSecrets(store, TimeProvider.System).Get(StoredSecrets.TelegramBotToken));
        }

        using (var reopened = new TokenStore(directory.File("tokens.db")))
        {
            Assert.Equal(BotToken, new StoredSecrets(reopened, TimeProvider.System).Get(StoredSecrets.TelegramBotToken));
        }

        File.Delete(directory.File("tokens.db.key"));
        using var withNewKey = new TokenStore(directory.File("tokens.db"));
        var secrets = new StoredSecrets(withNewKey, TimeProvider.System);
        Assert.Null(secrets.Get(StoredSecrets.TelegramBotToken));
        Assert.Equal(new StoredSecretStatus(false, true, s_now), secrets.Describe(StoredSecrets.TelegramBotToken));
    }

    [Theory]
    [InlineData("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")]
    [InlineData("  123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\n", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")]
    [InlineData("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", null)]
    [InlineData("bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", null)]
    [InlineData("123456789:short", null)]
    [InlineData("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw extra", null)]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", null)]
    [InlineData("", null)]
    public void A_pasted_bot_token_is_taken_only_when_shaped_like_one(string pasted, string? expected) =>
        Assert.Equal(expected, StoredSecrets.ReadTelegramBotToken(pasted));
}
