using System.Text;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Bakong.OpenApi.Tests.Tokens;

/// <summary>
/// What every <see cref="ITokenStore"/> promises, asserted once and run on LiteDB (<see cref="LiteDbTokenStoreContractTests"/>)
/// and PostgreSQL (<see cref="PostgresTokenStoreContractTests"/>). LiteDB's own mechanics (file lock, rotation crash
/// points, backups) are in <see cref="TokenStoreTests"/>.
/// </summary>
public abstract class TokenStoreContract : IDisposable
{
    private static readonly DateTimeOffset s_now = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private protected TempDirectory Directory { get; } = new();

    protected string KeyPath => Directory.File("tokens.key");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The store on this test's database (the same one each call), encrypting under <paramref name="keyPath"/>.</summary>
    private protected abstract Task<ITokenStore> OpenAsync(string keyPath);

    /// <summary>Every byte the store keeps of the tokens (files or rows), to look for the plaintext.</summary>
    protected abstract Task<byte[]> StoredBytesAsync();

    public virtual void Dispose()
    {
        Directory.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_token_round_trips_with_its_expiry_email_time_and_renewal_flag()
    {
        var value = TestJwt.Create(s_now.AddDays(90));
        Use(await OpenAsync(KeyPath), store =>
            store.SaveToken(BakongEnvironment.Sit, new BakongToken(value, JwtExpiry.Read(value)), "ops@example.com", s_now, renewed: true));

        Use(await OpenAsync(KeyPath), store =>
        {
            var stored = store.Load(BakongEnvironment.Sit, out var unreadable);
            Assert.False(unreadable);
            Assert.Equal(value, stored?.Token?.Value);
            Assert.Equal(s_now.AddDays(90), stored!.Token!.ExpiresAt);
            Assert.Equal("ops@example.com", stored.Email);
            Assert.Equal(s_now, stored.SetAt);
            Assert.True(stored.Renewed);
        });
    }

    [Fact]
    public async Task A_renewal_replaces_the_token_and_keeps_the_email_and_nothing_stored_is_plaintext()
    {
        var first = TestJwt.Create(s_now.AddDays(90));
        var renewed = TestJwt.Create(s_now.AddDays(180));
        Use(await OpenAsync(KeyPath), store =>
        {
            store.SaveEmail(BakongEnvironment.Production, "ops@example.com");
            store.SaveToken(BakongEnvironment.Production, new BakongToken(first, JwtExpiry.Read(first)), null, s_now, renewed: false);
            store.SaveToken(BakongEnvironment.Production, new BakongToken(renewed, JwtExpiry.Read(renewed)), null, s_now.AddDays(85), renewed: true);

            var stored = store.Load(BakongEnvironment.Production, out _);
            Assert.Equal(renewed, stored?.Token?.Value);
            Assert.Equal(s_now.AddDays(180), stored!.Token!.ExpiresAt);
            Assert.Equal(s_now.AddDays(85), stored.SetAt);
            Assert.True(stored.Renewed);
            Assert.Equal("ops@example.com", stored.Email);
        });

        var bytes = await StoredBytesAsync();
        Assert.NotEmpty(bytes);
        foreach (var value in new[] { first, renewed })
        {
            Assert.DoesNotContain(value.Split('.')[2], Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Each_environment_keeps_its_own_token_and_an_unset_one_is_absent()
    {
        Use(await OpenAsync(KeyPath), store =>
        {
            store.SaveToken(BakongEnvironment.Sit, new BakongToken("sit-token", null), null, s_now, renewed: false);
            store.SaveToken(BakongEnvironment.Production, new BakongToken("production-token", null), null, s_now, renewed: false);

            Assert.Equal("sit-token", store.Load(BakongEnvironment.Sit, out _)?.Token?.Value);
            Assert.Null(store.Load(BakongEnvironment.Sit, out _)!.Token!.ExpiresAt);
            Assert.Equal("production-token", store.Load(BakongEnvironment.Production, out _)?.Token?.Value);
            Assert.Null(store.Load(BakongEnvironment.Sandbox, out var unreadable));
            Assert.False(unreadable);
        });
    }

    [Fact]
    public async Task Under_another_key_file_the_token_is_unreadable_not_wrong()
    {
        Use(await OpenAsync(KeyPath), store =>
            store.SaveToken(BakongEnvironment.Sit, new BakongToken("sit-token", null), "ops@example.com", s_now, renewed: false));

        Use(await OpenAsync(Directory.File("other.key")), store =>
        {
            var stored = store.Load(BakongEnvironment.Sit, out var unreadable);
            Assert.True(unreadable);
            Assert.Null(stored?.Token);
            Assert.Equal("ops@example.com", stored?.Email);
        });
    }

    [Fact]
    public async Task Rotating_the_key_keeps_the_token_readable_under_the_new_key_only()
    {
        Use(await OpenAsync(KeyPath), store =>
            store.SaveToken(BakongEnvironment.Sit, new BakongToken("sit-token", null), null, s_now, renewed: false));
        var oldKeyCopy = Directory.File("before-rotation.key");
        File.Copy(KeyPath, oldKeyCopy);

        string oldKeyPath = "";
        Use(await OpenAsync(KeyPath), store => oldKeyPath = store.RotateKey(s_now));

        Assert.True(File.Exists(oldKeyPath));
        Assert.Equal(File.ReadAllBytes(oldKeyCopy), File.ReadAllBytes(oldKeyPath));
        Use(await OpenAsync(KeyPath), store => Assert.Equal("sit-token", store.Load(BakongEnvironment.Sit, out _)?.Token?.Value));
        Use(await OpenAsync(oldKeyCopy), store =>
        {
            Assert.Null(store.Load(BakongEnvironment.Sit, out var unreadable)?.Token);
            Assert.True(unreadable);
        });
    }

    [Theory]
    [InlineData(nameof(KeyRotationStep.NewKeyWritten))]
    [InlineData(nameof(KeyRotationStep.TokensSealedUnderBoth))]
    [InlineData(nameof(KeyRotationStep.KeyReplaced))]
    public async Task A_rotation_stopped_at_any_step_leaves_the_token_readable_with_the_key_file_in_place(string stopAt)
    {
        var step = Enum.Parse<KeyRotationStep>(stopAt);
        Use(await OpenAsync(KeyPath), store =>
        {
            store.SaveToken(BakongEnvironment.Sit, new BakongToken("sit-token", null), null, s_now, renewed: false);
            Assert.Throws<InvalidOperationException>(() => store.RotateKey(s_now, reached =>
            {
                if (reached == step)
                {
                    throw new InvalidOperationException("crash");
                }
            }));
        });

        Use(await OpenAsync(KeyPath), store => Assert.Equal("sit-token", store.Load(BakongEnvironment.Sit, out _)?.Token?.Value));
    }

    [Fact]
    public async Task A_secret_round_trips_sealed_is_no_token_and_survives_a_key_rotation()
    {
        const string Secret = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0";
        var token = TestJwt.Create(s_now.AddDays(90));
        Use(await OpenAsync(KeyPath), store =>
        {
            Assert.Null(store.LoadSecret(StoredSecrets.TelegramBotToken, out _));
            store.SaveToken(BakongEnvironment.Sit, new BakongToken(token, JwtExpiry.Read(token)), null, s_now, renewed: false);
            store.SaveSecret(StoredSecrets.TelegramBotToken, Secret, s_now);
        });
        Assert.DoesNotContain("AAHfiqksKZ8WmR2zSjiQ7", Encoding.UTF8.GetString(await StoredBytesAsync()), StringComparison.Ordinal);

        Use(await OpenAsync(KeyPath), store =>
        {
            store.RotateKey(s_now.AddHours(1));
            var secret = store.LoadSecret(StoredSecrets.TelegramBotToken, out var unreadable);
            Assert.False(unreadable);
            Assert.Equal((Secret, s_now), (secret?.Value, secret?.SetAt));
            Assert.Equal(token, store.Load(BakongEnvironment.Sit, out _)?.Token?.Value);
            Assert.Null(store.Load(BakongEnvironment.Production, out _));
        });
    }

    private static void Use(ITokenStore store, Action<ITokenStore> action)
    {
        try
        {
            action(store);
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }
}

/// <summary>The token store contract on the LiteDB file of the data directory.</summary>
public sealed class LiteDbTokenStoreContractTests : TokenStoreContract
{
    private protected override Task<ITokenStore> OpenAsync(string keyPath) =>
        Task.FromResult<ITokenStore>(new TokenStore(Directory.File("tokens.db"), keyPath));

    protected override Task<byte[]> StoredBytesAsync() => Task.FromResult(Directory.AllDatabaseBytes());
}

/// <summary>The token store contract on PostgreSQL: a fresh database of the run's throwaway cluster per test.</summary>
public sealed class PostgresTokenStoreContractTests(PostgresCluster cluster) : TokenStoreContract
{
    private readonly List<PostgresDatabase> _databases = [];
    private string? _connectionString;

    private protected override async Task<ITokenStore> OpenAsync(string keyPath)
    {
        cluster.SkipIfUnavailable();
        _connectionString ??= await cluster.CreateDatabaseAsync(Ct);
        var database = PostgresDatabase.Open(_connectionString, NullLogger.Instance);
        _databases.Add(database);
        return new PostgresTokenStore(database, keyPath);
    }

    protected override async Task<byte[]> StoredBytesAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "SELECT convert_to(coalesce(string_agg(row_to_json(t)::text, ''), ''), 'UTF8') FROM bakong_tokens t", connection);
        return (byte[])(await command.ExecuteScalarAsync(Ct))!;
    }

    public override void Dispose()
    {
        foreach (var database in _databases)
        {
            database.Dispose();
        }

        base.Dispose();
    }
}
