using System.Text;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Storage;
using Bakong.OpenApi.Tokens;

namespace Bakong.OpenApi.Tests.Tokens;

public sealed class TokenStoreTests
{
    private static readonly DateTimeOffset s_now = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_database_files_do_not_contain_the_token()
    {
        using var directory = new TempDirectory();
        var value = TestJwt.Create(s_now.AddDays(90));
        using (var store = new TokenStore(directory.File("tokens.db")))
        {
            store.SaveToken(BakongEnvironment.Production, new BakongToken(value, JwtExpiry.Read(value)), "ops@example.com", s_now, renewed: false);
        }

        var bytes = directory.AllDatabaseBytes();
        Assert.NotEmpty(bytes);
        Assert.DoesNotContain(value, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.DoesNotContain(value.Split('.')[2], Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.DoesNotContain(value, Encoding.Unicode.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_survives_closing_and_reopening_the_store_with_its_expiry_email_and_time()
    {
        using var directory = new TempDirectory();
        var value = TestJwt.Create(s_now.AddDays(90));
        using (var store = new TokenStore(directory.File("tokens.db")))
        {
            store.SaveToken(BakongEnvironment.Sit, new BakongToken(value, JwtExpiry.Read(value)), "ops@example.com", s_now, renewed: true);
        }

        using var reopened = new TokenStore(directory.File("tokens.db"));
        var stored = reopened.Load(BakongEnvironment.Sit, out var unreadable);

        Assert.False(unreadable);
        Assert.NotNull(stored?.Token);
        Assert.Equal(value, stored.Token.Value);
        Assert.Equal(s_now.AddDays(90), stored.Token.ExpiresAt);
        Assert.Equal("ops@example.com", stored.Email);
        Assert.Equal(s_now, stored.SetAt);
        Assert.True(stored.Renewed);
    }

    [Fact]
    public void Each_environment_keeps_its_own_token()
    {
        using var directory = new TempDirectory();
        using var store = new TokenStore(directory.File("tokens.db"));
        store.SaveToken(BakongEnvironment.Sit, new BakongToken("sit-token", null), null, s_now, renewed: false);
        store.SaveToken(BakongEnvironment.Production, new BakongToken("production-token", null), null, s_now, renewed: false);

        Assert.Equal("sit-token", store.Load(BakongEnvironment.Sit, out _)?.Token?.Value);
        Assert.Equal("production-token", store.Load(BakongEnvironment.Production, out _)?.Token?.Value);
        Assert.Null(store.Load(BakongEnvironment.Sandbox, out _));
    }

    [Fact]
    public void The_key_file_is_readable_and_writable_by_its_owner_only()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var directory = new TempDirectory();
        using var store = new TokenStore(directory.File("tokens.db"));

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.File("tokens.db.key")));
        }
    }

    [Fact]
    public void A_token_encrypted_under_another_key_is_reported_unreadable_not_returned_garbled()
    {
        using var directory = new TempDirectory();
        using (var store = new TokenStore(directory.File("tokens.db")))
        {
            store.SaveToken(BakongEnvironment.Sit, new BakongToken("secret-token", null), "ops@example.com", s_now, renewed: false);
        }

        File.Delete(directory.File("tokens.db.key"));
        using var reopened = new TokenStore(directory.File("tokens.db"));
        var stored = reopened.Load(BakongEnvironment.Sit, out var unreadable);

        Assert.True(unreadable);
        Assert.Null(stored?.Token);
        Assert.Equal("ops@example.com", stored?.Email);
    }

    [Fact]
    public void A_second_store_on_the_same_file_is_refused_while_the_first_holds_it_and_opens_once_it_is_closed()
    {
        using var directory = new TempDirectory();
        var path = directory.File("tokens.db");
        var first = new TokenStore(path);

        var e = Assert.Throws<StoreLockedException>(() => new TokenStore(path));

        Assert.Equal(
            $"The token store '{path}' is in use by another process (a running gateway, or another bakong command, holds its lock file '{path}.lock'); "
            + "stop that process first, or use another data directory.",
            e.Message);
        first.Dispose();
        using var second = new TokenStore(path);
        Assert.Null(second.Load(BakongEnvironment.Sit, out _));
    }

    [Fact]
    public void Saving_the_email_alone_keeps_the_token()
    {
        using var directory = new TempDirectory();
        using var store = new TokenStore(directory.File("tokens.db"));
        store.SaveToken(BakongEnvironment.Sit, new BakongToken("sit-token", null), null, s_now, renewed: false);

        store.SaveEmail(BakongEnvironment.Sit, "new@example.com");

        var stored = store.Load(BakongEnvironment.Sit, out _);
        Assert.Equal("sit-token", stored?.Token?.Value);
        Assert.Equal("new@example.com", stored?.Email);
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_a_store_exception_naming_the_file_with_the_engines_error_inside_and_the_lock_released()
    {
        using var directory = new TempDirectory();
        var path = directory.File("tokens.db");
        File.WriteAllBytes(path, Enumerable.Repeat((byte)0xAB, 16_384).ToArray());

        var e = Assert.Throws<StoreException>(() => new TokenStore(path));

        Assert.StartsWith($"The token store '{path}' cannot be used: ", e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.InnerException);

        // Nothing is left open: the file can be replaced and opened at once.
        File.Delete(path);
        using var store = new TokenStore(path);
        Assert.Null(store.Load(BakongEnvironment.Sit, out _));
    }
}
