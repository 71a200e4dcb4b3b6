using Bakong.Identity.Storage;
using Bakong.Storage.PostgreSql;
using Bakong.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Identity.Tests;

/// <summary>
/// What every <see cref="IClientStore"/> promises, asserted once and run on LiteDB (<see cref="LiteDbClientStoreContractTests"/>)
/// and PostgreSQL (<see cref="PostgresClientStoreContractTests"/>). LiteDB's own mechanics (file lock, backups) are in
/// <see cref="ClientStoreTests"/>.
/// </summary>
public abstract class ClientStoreContract : IAsyncLifetime
{
    private const string Thumbprint = "AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12";

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected IClientStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => Store = await OpenAsync();

    public virtual ValueTask DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected abstract Task<IClientStore> OpenAsync();

    [Fact]
    public void An_added_client_is_found_by_its_key_and_by_no_other()
    {
        var added = Store.Add(new ClientRegistration(ClientRole.Terminal, ["POS-01", "POS-02", "POS-01"], " Till 1 "));
        var other = Store.Add(new ClientRegistration(ClientRole.Operator, [], null));

        var found = Store.Authenticate(added.Key);
        Assert.Equal(added.Client.Id, found?.Id);
        Assert.Equal(["POS-01", "POS-02"], found!.TerminalIds);
        Assert.Equal("Till 1", found.Name);
        Assert.Equal(ClientRole.Terminal, found.Role);
        Assert.Equal(Time.GetUtcNow(), found.CreatedAt);
        Assert.Equal(ClientRole.Operator, Store.Authenticate(other.Key)?.Role);

        var forged = "bk_" + added.Client.Id + other.Key[(3 + ApiKey.ClientIdLength)..];
        Assert.Null(Store.Authenticate(forged));
        Assert.Null(Store.Authenticate(added.Key[..^1] + (added.Key[^1] == 'A' ? 'B' : 'A')));
        Assert.Null(Store.Authenticate(null));
        Assert.Null(Store.Authenticate("not a key"));
    }

    [Fact]
    public void An_invalid_registration_is_refused_naming_the_field()
    {
        var e = Assert.Throws<ArgumentException>(() => Store.Add(new ClientRegistration(ClientRole.Terminal, [], null)));
        Assert.Contains("terminal", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Store.List());
    }

    [Fact]
    public void The_list_holds_every_client_oldest_first_revoked_ones_too()
    {
        var first = Store.Add(new ClientRegistration(ClientRole.Operator, [], "first"));
        Time.Advance(TimeSpan.FromSeconds(1));
        var second = Store.Add(new ClientRegistration(ClientRole.Terminal, ["POS-01"], "second"));
        Store.Revoke(first.Client.Id);

        Assert.Equal([first.Client.Id, second.Client.Id], Store.List().Select(c => c.Id));
        Assert.True(Store.List()[0].IsRevoked);
        Assert.Equal(second.Client.Id, Store.Find(second.Client.Id)?.Id);
        Assert.Null(Store.Find("abcdefghijkm"));
        Assert.Null(Store.Find("'; DROP TABLE api_clients; --"));
    }

    [Fact]
    public void A_revoked_client_no_longer_authenticates_and_keeps_its_first_revocation_time()
    {
        var added = Store.Add(new ClientRegistration(ClientRole.Operator, [], null));
        Time.Advance(TimeSpan.FromMinutes(1));
        var revoked = Store.Revoke(added.Client.Id);
        Time.Advance(TimeSpan.FromMinutes(1));
        var again = Store.Revoke(added.Client.Id);

        Assert.Equal(Time.GetUtcNow().AddMinutes(-1), revoked?.RevokedAt);
        Assert.Equal(revoked?.RevokedAt, again?.RevokedAt);
        Assert.Null(Store.Authenticate(added.Key));
        Assert.Null(Store.Revoke("abcdefghijkm"));
    }

    [Fact]
    public void A_certificate_is_bound_kept_and_unbound()
    {
        var added = Store.Add(new ClientRegistration(ClientRole.Operator, [], null) { CertificateThumbprint = Thumbprint });
        Assert.Equal(Thumbprint, Store.Authenticate(added.Key)?.CertificateThumbprint);

        Assert.Null(Store.BindCertificate(added.Client.Id, null)?.CertificateThumbprint);
        Assert.Null(Store.Find(added.Client.Id)?.CertificateThumbprint);
        Assert.Equal(Thumbprint, Store.BindCertificate(added.Client.Id, Thumbprint)?.CertificateThumbprint);
        Assert.Equal(Thumbprint, Store.Find(added.Client.Id)?.CertificateThumbprint);
        Assert.Throws<ArgumentException>(() => Store.BindCertificate(added.Client.Id, "not-a-thumbprint"));
        Assert.Null(Store.BindCertificate("abcdefghijkm", Thumbprint));
    }
}

/// <summary>The client store contract on the LiteDB file of the data directory.</summary>
public sealed class LiteDbClientStoreContractTests : ClientStoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bakong-identity-" + Guid.NewGuid().ToString("N"));

    protected override Task<IClientStore> OpenAsync() =>
        Task.FromResult<IClientStore>(new ClientStore(Path.Combine(_directory, "bakong-clients.db"), Time));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}

/// <summary>The client store contract on PostgreSQL: a fresh database of the run's throwaway cluster per test.</summary>
public sealed class PostgresClientStoreContractTests(PostgresCluster cluster) : ClientStoreContract
{
    private PostgresDatabase? _database;

    protected override async Task<IClientStore> OpenAsync()
    {
        cluster.SkipIfUnavailable();
        _database = PostgresDatabase.Open(await cluster.CreateDatabaseAsync(Ct), NullLogger.Instance);
        return new PostgresClientStore(_database, Time);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _database?.Dispose();
    }
}

/// <summary>
/// The client store contract on the gateway's PostgreSQL store: keys checked against its copy of the table in memory,
/// which every write through it refreshes before it returns.
/// </summary>
public sealed class PostgresClientCacheContractTests(PostgresCluster cluster) : ClientStoreContract
{
    private PostgresDatabase? _database;

    protected override async Task<IClientStore> OpenAsync()
    {
        cluster.SkipIfUnavailable();
        _database = PostgresDatabase.Open(await cluster.CreateDatabaseAsync(Ct), NullLogger.Instance);
        return new PostgresClientCache(new PostgresClientStore(_database, Time), Time, NullLogger<PostgresClientCache>.Instance);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _database?.Dispose();
    }
}
