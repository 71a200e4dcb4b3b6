using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;

namespace Bakong.OpenApi.Tests.Tokens;

/// <summary>The token key kept outside the data directory, and <c>rotate-key</c>: readable after, crash-safe, refused without change.</summary>
public sealed class TokenKeyTests
{
    private static readonly DateTimeOffset s_now = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_key_path_elsewhere_is_created_owner_only_in_a_new_owner_only_folder_and_no_key_is_left_beside_the_store()
    {
        using var data = new TempDirectory();
        using var secrets = new TempDirectory();
        var keyPath = Path.Combine(secrets.Path, "keys", "token.key");
        using (var store = new TokenStore(data.File("tokens.db"), keyPath))
        {
            store.SaveToken(BakongEnvironment.Sit, new BakongToken("sit-token", null), null, s_now, renewed: false);
        }

        Assert.Equal(32, File.ReadAllBytes(keyPath).Length);
        Assert.False(File.Exists(data.File("tokens.db.key")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(keyPath)!));
        }

        using (var withKey = new TokenStore(data.File("tokens.db"), keyPath))
        {
            Assert.Equal("sit-token", withKey.Load(BakongEnvironment.Sit, out _)?.Token?.Value);
        }

        // Without the key the data directory alone does not open it (a default key is made beside, and fails).
        using var withoutKey = new TokenStore(data.File("tokens.db"));
        Assert.Null(withoutKey.Load(BakongEnvironment.Sit, out var unreadable)?.Token);
        Assert.True(unreadable);
    }

    [Fact]
    public void After_rotation_every_token_opens_with_the_new_key_and_no_longer_with_the_old_one()
    {
        using var directory = new TempDirectory();
        var keyPath = directory.File("tokens.db.key");
        string oldKeyPath;
        byte[] oldKey;
        using (var store = Seeded(directory))
        {
            oldKey = File.ReadAllBytes(keyPath);
            oldKeyPath = store.RotateKey(s_now);
            Assert.Equal(("sit-token", "production-token"), (store.Load(BakongEnvironment.Sit, out _)?.Token?.Value, store.Load(BakongEnvironment.Production, out _)?.Token?.Value));
        }

        Assert.Equal(keyPath + ".old-20250601T080000Z", oldKeyPath);
        Assert.Equal(oldKey, File.ReadAllBytes(oldKeyPath));
        Assert.NotEqual(oldKey, File.ReadAllBytes(keyPath));
        Assert.False(File.Exists(keyPath + ".new"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(oldKeyPath));
        }

        using (var reopened = new TokenStore(directory.File("tokens.db")))
        {
            Assert.Equal("sit-token", reopened.Load(BakongEnvironment.Sit, out _)?.Token?.Value);
            Assert.Equal("production-token", reopened.Load(BakongEnvironment.Production, out _)?.Token?.Value);
            Assert.Equal("ops@example.com", reopened.Load(BakongEnvironment.Sit, out _)?.Email);
        }

        // The old key put back: the store is sealed under the new key only.
        File.Copy(oldKeyPath, keyPath, overwrite: true);
        using var withOldKey = new TokenStore(directory.File("tokens.db"));
        Assert.Null(withOldKey.Load(BakongEnvironment.Sit, out var sitUnreadable)?.Token);
        Assert.Null(withOldKey.Load(BakongEnvironment.Production, out var productionUnreadable)?.Token);
        Assert.True(sitUnreadable && productionUnreadable);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void A_rotation_stopped_after_any_step_leaves_every_token_readable_and_a_later_rotation_and_save_work(int stopAfter)
    {
        var step = (KeyRotationStep)stopAfter;
        Assert.True(Enum.IsDefined(step));
        using var directory = new TempDirectory();
        using (var store = Seeded(directory))
        {
            Assert.Throws<CrashException>(() => store.RotateKey(s_now, reached => _ = reached == step ? throw new CrashException() : 0));
        }

        using (var reopened = new TokenStore(directory.File("tokens.db")))
        {
            Assert.Equal("sit-token", reopened.Load(BakongEnvironment.Sit, out var unreadable)?.Token?.Value);
            Assert.False(unreadable);
            Assert.Equal("production-token", reopened.Load(BakongEnvironment.Production, out _)?.Token?.Value);

            // A save after the stop, then a full rotation: still readable.
            reopened.SaveToken(BakongEnvironment.Sit, new BakongToken("sit-token-2", null), null, s_now, renewed: true);
            reopened.RotateKey(s_now.AddMinutes(1));
        }

        using var rotated = new TokenStore(directory.File("tokens.db"));
        Assert.Equal("sit-token-2", rotated.Load(BakongEnvironment.Sit, out _)?.Token?.Value);
        Assert.Equal("production-token", rotated.Load(BakongEnvironment.Production, out _)?.Token?.Value);
    }

    [Fact]
    public void A_rotation_is_refused_and_changes_nothing_when_a_stored_token_does_not_open_with_the_key()
    {
        using var directory = new TempDirectory();
        var keyPath = directory.File("tokens.db.key");
        Seeded(directory).Dispose();

        // A replaced key file: the stored tokens no longer open.
        File.Delete(keyPath);
        using var store = new TokenStore(directory.File("tokens.db"));
        var key = File.ReadAllBytes(keyPath);
        var files = Directory.GetFiles(directory.Path).Order().ToArray();

        var e = Assert.Throws<InvalidOperationException>(() => store.RotateKey(s_now));

        Assert.StartsWith("The stored ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("nothing was rotated.", e.Message, StringComparison.Ordinal);
        Assert.Equal(key, File.ReadAllBytes(keyPath));
        Assert.Equal(files, Directory.GetFiles(directory.Path).Order().ToArray());
        Assert.True(store.Load(BakongEnvironment.Sit, out var unreadable) is { Token: null } && unreadable);
    }

    private static TokenStore Seeded(TempDirectory directory)
    {
        var store = new TokenStore(directory.File("tokens.db"));
        store.SaveToken(BakongEnvironment.Sit, new BakongToken("sit-token", null), "ops@example.com", s_now, renewed: false);
        store.SaveToken(BakongEnvironment.Production, new BakongToken("production-token", null), null, s_now, renewed: false);
        return store;
    }

    private sealed class CrashException : Exception
    {
    }
}
