using Bakong.Identity.Storage;
using Bakong.OpenApi.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Identity.Tests;

public sealed class ClientStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bakong-identity-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private string DatabasePath => Path.Combine(_directory, "bakong-clients.db");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void An_added_client_authenticates_with_its_key_and_nothing_else()
    {
        using var store = new ClientStore(DatabasePath, _time);

        var added = store.Add(new ClientRegistration(ClientRole.Terminal, ["POS-01", "POS-02"], "Till 1"));
        var other = store.Add(new ClientRegistration(ClientRole.Terminal, ["POS-03"], null));

        Assert.Equal(added.Client.Id, store.Authenticate(added.Key)?.Id);
        Assert.Equal(["POS-01", "POS-02"], added.Client.TerminalIds);
        Assert.Equal("Till 1", added.Client.Name);
        Assert.Equal(_time.GetUtcNow(), added.Client.CreatedAt);

        // The other client's secret under this client's id, a secret one character off, no key at all.
        var forged = "bk_" + added.Client.Id + other.Key[(3 + ApiKey.ClientIdLength)..];
        Assert.Null(store.Authenticate(forged));
        Assert.Null(store.Authenticate(added.Key[..^1] + (added.Key[^1] == 'A' ? 'B' : 'A')));
        Assert.Null(store.Authenticate(null));
        Assert.Null(store.Authenticate("bk_" + "abcdefghijkm" + added.Key[(3 + ApiKey.ClientIdLength)..]));
    }

    [Fact]
    public void The_store_keeps_only_a_hash_of_the_key()
    {
        string key;
        using (var store = new ClientStore(DatabasePath, _time))
        {
            key = store.Add(new ClientRegistration(ClientRole.Operator, [], "Owner")).Key;
        }

        Assert.True(ApiKey.TryParse(key, out _, out var secret));
        var bytes = File.ReadAllBytes(DatabasePath);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(secret)));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(secret)));
    }

    [Fact]
    public void A_revoked_key_authenticates_nothing_and_stays_listed_with_its_time()
    {
        using var store = new ClientStore(DatabasePath, _time);
        var added = store.Add(new ClientRegistration(ClientRole.Kiosk, ["KIOSK-1"], "Lobby"));
        _time.Advance(TimeSpan.FromMinutes(5));

        var revoked = store.Revoke(added.Client.Id);
        _time.Advance(TimeSpan.FromMinutes(5));
        var again = store.Revoke(added.Client.Id);

        Assert.Null(store.Authenticate(added.Key));
        Assert.Equal(added.Client.CreatedAt.AddMinutes(5), revoked!.RevokedAt);
        Assert.Equal(revoked.RevokedAt, again!.RevokedAt);
        Assert.True(Assert.Single(store.List()).IsRevoked);
    }

    [Fact]
    public void Revoking_an_unknown_or_malformed_id_finds_nothing()
    {
        using var store = new ClientStore(DatabasePath, _time);

        Assert.Null(store.Revoke("abcdefghijkm"));
        Assert.Null(store.Revoke("../../etc"));
    }

    [Fact]
    public void Clients_survive_a_reopen()
    {
        NewApiClient added;
        using (var store = new ClientStore(DatabasePath, _time))
        {
            added = store.Add(new ClientRegistration(ClientRole.Terminal, ["POS-01"], null));
        }

        using var reopened = new ClientStore(DatabasePath, _time);
        Assert.Equal(added.Client.Id, reopened.Authenticate(added.Key)?.Id);
        Assert.Equal(ClientRole.Terminal, Assert.Single(reopened.List()).Role);
    }

    [Fact]
    public void A_second_opener_is_refused_while_the_store_is_open()
    {
        using var store = new ClientStore(DatabasePath, _time);

        Assert.Throws<StoreLockedException>(() => new ClientStore(DatabasePath, _time));
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_a_store_exception()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(DatabasePath, new string('x', 20_000));

        Assert.Throws<StoreException>(() => new ClientStore(DatabasePath, _time));
    }

    [Fact]
    public void The_key_is_not_in_the_new_clients_text()
    {
        using var store = new ClientStore(DatabasePath, _time);
        var added = store.Add(new ClientRegistration(ClientRole.Terminal, ["POS-01"], null));

        Assert.DoesNotContain(added.Key, added.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_binding_is_kept_across_a_reopen_and_unbinding_clears_it()
    {
        var thumbprint = new string('A', ClientCertificate.ThumbprintLength);
        var other = new string('B', ClientCertificate.ThumbprintLength);
        string boundAtAdd;
        string boundLater;
        using (var store = new ClientStore(DatabasePath, _time))
        {
            boundAtAdd = store.Add(new ClientRegistration(ClientRole.Terminal, ["POS-01"], null) { CertificateThumbprint = thumbprint }).Client.Id;
            boundLater = store.Add(new ClientRegistration(ClientRole.Terminal, ["POS-02"], null)).Client.Id;
            Assert.Null(store.Find(boundLater)!.CertificateThumbprint);
            Assert.Equal(other, store.BindCertificate(boundLater, other)!.CertificateThumbprint);
        }

        using (var reopened = new ClientStore(DatabasePath, _time))
        {
            Assert.Equal(thumbprint, reopened.Find(boundAtAdd)!.CertificateThumbprint);
            Assert.Equal(other, reopened.Find(boundLater)!.CertificateThumbprint);
            Assert.Null(reopened.BindCertificate(boundLater, null)!.CertificateThumbprint);
            Assert.Null(reopened.Find(boundLater)!.CertificateThumbprint);
            Assert.Null(reopened.BindCertificate("abcdefghijkm", thumbprint));
            Assert.Throws<ArgumentException>(() => reopened.BindCertificate(boundAtAdd, "not-a-thumbprint"));
        }
    }

    [Fact]
    public void The_thumbprint_of_a_pem_certificate_is_the_sha256_of_its_der_bytes_and_anything_else_is_refused_without_echoing_it()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=till", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(_time.GetUtcNow().AddDays(-1), _time.GetUtcNow().AddDays(1));

        var thumbprint = ClientCertificate.ThumbprintOfPem(certificate.ExportCertificatePem(), out var none);
        var garbage = ClientCertificate.ThumbprintOfPem("secret-looking text", out var reason);

        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(certificate.RawData)), thumbprint);
        Assert.Equal(certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), thumbprint);
        Assert.Null(none);
        Assert.Null(garbage);
        Assert.DoesNotContain("secret", reason, StringComparison.Ordinal);
    }
}
