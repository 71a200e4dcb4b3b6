extern alias testing;
using System.Text.Json;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Bakong.OpenApi.Storage;
using Microsoft.Extensions.Time.Testing;
using testing::Bakong.Testing;

namespace Bakong.Cli.Tests.Clients;

/// <summary><c>bakong clients add|list|revoke</c> on a data directory with no gateway running (the offline path).</summary>
public sealed class ClientsCommandTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "bakong-cli-clients-" + Guid.NewGuid().ToString("N"));

    private string StorePath => Path.Combine(_data, BakongDataDirectory.ClientsFileName);

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task Add_prints_a_key_that_the_store_authenticates_as_that_client()
    {
        var run = await Cli.RunAsync("clients", "add", "--terminal", "POS-01", "--terminal", "POS-02", "--name", "Till 1", "--data", _data);

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Error);
        var key = Assert.Single(run.OutputLines, l => l.StartsWith("Key ", StringComparison.Ordinal))["Key".Length..].Trim();
        var id = Assert.Single(run.OutputLines, l => l.StartsWith("Client ", StringComparison.Ordinal))["Client".Length..].Trim();
        Assert.Contains("Terminals  POS-01, POS-02", run.OutputLines);

        using var store = new ClientStore(StorePath, new FakeTimeProvider());
        var client = store.Authenticate(key);
        Assert.NotNull(client);
        Assert.Equal((id, ClientRole.Terminal, "Till 1"), (client.Id, client.Role, client.Name));
        Assert.Equal(["POS-01", "POS-02"], client.TerminalIds);
    }

    [Fact]
    public async Task Add_json_prints_one_object_with_the_client_id_and_the_key()
    {
        var run = await Cli.RunAsync("clients", "add", "--role", "kiosk", "--terminal", "KIOSK-1", "--json", "--data", _data);

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(Assert.Single(run.OutputLines));
        var id = json.RootElement.GetProperty("clientId").GetString();
        var key = json.RootElement.GetProperty("key").GetString();
        Assert.True(ApiKey.TryParse(key, out var keyId, out _));
        Assert.Equal(id, keyId);
        Assert.Equal("kiosk", json.RootElement.GetProperty("role").GetString());
        Assert.Equal("KIOSK-1", json.RootElement.GetProperty("terminalIds")[0].GetString());
    }

    [Fact]
    public async Task Add_kiosk_prints_a_pairing_url_to_the_default_web_endpoint_with_the_key_in_the_fragment()
    {
        var run = await Cli.RunAsync("clients", "add", "--role", "kiosk", "--terminal", "K-1", "--data", _data);

        Assert.Equal(0, run.ExitCode);
        var key = Assert.Single(run.OutputLines, l => l.StartsWith("Key ", StringComparison.Ordinal))["Key".Length..].Trim();
        var pairing = Assert.Single(run.OutputLines, l => l.StartsWith("Pairing ", StringComparison.Ordinal))["Pairing".Length..].Trim();
        Assert.Equal("http://127.0.0.1:5081/kiosk?terminal=K-1#key=" + key, pairing);
    }

    [Fact]
    public async Task Add_kiosk_json_has_the_pairing_url_on_the_given_kiosk_url_and_other_roles_have_none()
    {
        var kiosk = await Cli.RunAsync("clients", "add", "--role", "kiosk", "--terminal", "KIOSK:2", "--terminal", "K-3", "--kiosk-url", "https://pos.shop.lan/pay", "--json", "--data", _data);
        var till = await Cli.RunAsync("clients", "add", "--terminal", "POS-01", "--kiosk-url", "https://pos.shop.lan/pay", "--json", "--data", _data);

        Assert.Equal((0, 0), (kiosk.ExitCode, till.ExitCode));
        var root = JsonDocument.Parse(Assert.Single(kiosk.OutputLines)).RootElement;
        var key = root.GetProperty("key").GetString();
        Assert.Equal("https://pos.shop.lan/pay/kiosk?terminal=KIOSK%3A2#key=" + key, root.GetProperty("pairingUrl").GetString()); // the first terminal
        Assert.False(JsonDocument.Parse(till.Output).RootElement.TryGetProperty("pairingUrl", out _));
    }

    [Fact]
    public async Task Add_operator_prints_the_dashboard_pairing_url_on_the_given_admin_url_with_the_key_in_the_fragment()
    {
        var plain = await Cli.RunAsync("clients", "add", "--role", "operator", "--data", _data);
        var json = await Cli.RunAsync("clients", "add", "--role", "operator", "--admin-url", "https://pos.shop.lan/pay", "--json", "--data", _data);

        Assert.Equal((0, 0), (plain.ExitCode, json.ExitCode));
        var key = Assert.Single(plain.OutputLines, l => l.StartsWith("Key ", StringComparison.Ordinal))["Key".Length..].Trim();
        var pairing = Assert.Single(plain.OutputLines, l => l.StartsWith("Pairing ", StringComparison.Ordinal))["Pairing".Length..].Trim();
        Assert.Equal("http://127.0.0.1:5081/admin#key=" + key, pairing);
        var root = JsonDocument.Parse(Assert.Single(json.OutputLines)).RootElement;
        Assert.Equal("https://pos.shop.lan/pay/admin#key=" + root.GetProperty("key").GetString(), root.GetProperty("pairingUrl").GetString());
    }

    [Fact]
    public async Task Add_refuses_an_admin_url_with_a_fragment_in_one_line_naming_the_option()
    {
        var run = await Cli.RunAsync("clients", "add", "--role", "operator", "--admin-url", "http://gw:5081/#x", "--data", _data);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--admin-url: 'http://gw:5081/#x' is not an http:// or https:// URL", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_refuses_a_kiosk_url_with_a_query_in_one_line_naming_the_option()
    {
        var run = await Cli.RunAsync("clients", "add", "--role", "kiosk", "--terminal", "K-1", "--kiosk-url", "http://10.0.0.2:5081/?x=1", "--data", _data);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("--kiosk-url: 'http://10.0.0.2:5081/?x=1' is not an http:// or https:// URL", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public async Task List_shows_every_client_and_never_a_key_or_hash()
    {
        var added = await Cli.RunAsync("clients", "add", "--role", "operator", "--name", "Owner", "--json", "--data", _data);
        var key = JsonDocument.Parse(added.Output).RootElement.GetProperty("key").GetString()!;
        Assert.True(ApiKey.TryParse(key, out var id, out var secret));

        var table = await Cli.RunAsync("clients", "list", "--data", _data);
        var json = await Cli.RunAsync("clients", "list", "--json", "--data", _data);

        Assert.Equal((0, 0), (table.ExitCode, json.ExitCode));
        Assert.StartsWith("ID", table.OutputLines[0], StringComparison.Ordinal);
        Assert.Contains(table.OutputLines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("operator", StringComparison.Ordinal) && l.Contains("active", StringComparison.Ordinal) && l.EndsWith("Owner", StringComparison.Ordinal));
        var row = JsonDocument.Parse(Assert.Single(json.OutputLines)).RootElement;
        Assert.Equal(id, row.GetProperty("clientId").GetString());
        Assert.False(row.TryGetProperty("key", out _));
        Assert.False(row.TryGetProperty("hash", out _));
        foreach (var output in new[] { table.Output, json.Output })
        {
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Revoke_makes_the_key_fail_and_the_list_say_revoked()
    {
        var added = await Cli.RunAsync("clients", "add", "--terminal", "POS-01", "--json", "--data", _data);
        var root = JsonDocument.Parse(added.Output).RootElement;
        var id = root.GetProperty("clientId").GetString()!;

        var revoke = await Cli.RunAsync("clients", "revoke", id, "--data", _data);
        var list = await Cli.RunAsync("clients", "list", "--data", _data);

        Assert.Equal(0, revoke.ExitCode);
        Assert.StartsWith("Revoked client " + id, revoke.Output, StringComparison.Ordinal);
        Assert.Contains(list.OutputLines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("revoked 2026-01-01 00:00:00", StringComparison.Ordinal));
        using var store = new ClientStore(StorePath, new FakeTimeProvider());
        Assert.Null(store.Authenticate(root.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task Revoking_an_unknown_client_is_exit_1_and_a_malformed_id_exit_2()
    {
        var unknown = await Cli.RunAsync("clients", "revoke", "abcdefghijkm", "--data", _data);
        var malformed = await Cli.RunAsync("clients", "revoke", "POS-01", "--data", _data);

        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal($"No client 'abcdefghijkm' in {StorePath}.", Assert.Single(unknown.ErrorLines));
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("is not a client id", Assert.Single(malformed.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--terminal: a terminal or kiosk needs at least one terminal id.", "clients", "add")]
    [InlineData("--terminal: an operator has every terminal: give none.", "clients", "add", "--role", "operator", "--terminal", "POS-01")]
    [InlineData("--terminal #2: only the characters A-Z a-z 0-9 - _ . : are allowed.", "clients", "add", "--terminal", "POS-01", "--terminal", "POS 02")]
    [InlineData("--role must be terminal, kiosk or operator, not 'admin'.", "clients", "add", "--role", "admin", "--terminal", "POS-01")]
    public async Task A_wrong_add_is_one_line_naming_the_option_and_exit_2(string error, params string[] args)
    {
        var run = await Cli.RunAsync([.. args, "--data", _data]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(error, Assert.Single(run.ErrorLines));
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task List_without_a_store_creates_none()
    {
        var run = await Cli.RunAsync("clients", "list", "--data", _data);

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("No clients in ", run.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public async Task A_held_store_is_refused_in_one_line_naming_the_file()
    {
        using var held = new ClientStore(StorePath, new FakeTimeProvider());

        var run = await Cli.RunAsync("clients", "list", "--data", _data);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"The client store '{StorePath}' is in use by another process", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_with_a_certificate_binds_it_and_bind_and_unbind_certificate_change_it_in_the_data_directory()
    {
        Directory.CreateDirectory(_data);
        using var first = TestCertificates.SelfSigned("CN=till-1");
        using var second = TestCertificates.SelfSigned("CN=till-1-new");
        var firstPem = Path.Combine(_data, "till-1.pem");
        var secondPem = Path.Combine(_data, "till-1-new.pem");
        await File.WriteAllTextAsync(firstPem, first.ExportCertificatePem(), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(secondPem, second.ExportCertificatePem(), TestContext.Current.CancellationToken);

        var added = await Cli.RunAsync("clients", "add", "--terminal", "POS-01", "--certificate", firstPem, "--json", "--data", _data);
        var root = JsonDocument.Parse(added.Output).RootElement;
        var id = root.GetProperty("clientId").GetString()!;
        var bound = await Cli.RunAsync("clients", "bind-certificate", id, "--certificate", secondPem, "--data", _data);
        var listed = await Cli.RunAsync("clients", "list", "--data", _data);
        var boundThumbprint = StoredThumbprint(id);
        var unbound = await Cli.RunAsync("clients", "unbind-certificate", id, "--json", "--data", _data);

        Assert.Equal((0, 0, 0, 0), (added.ExitCode, bound.ExitCode, listed.ExitCode, unbound.ExitCode));
        Assert.Equal(ClientCertificate.Thumbprint(first), root.GetProperty("certificateSha256").GetString());
        Assert.Equal(ClientCertificate.Thumbprint(second), boundThumbprint);
        Assert.Contains(ClientCertificate.Thumbprint(second), bound.Output, StringComparison.Ordinal);
        Assert.Contains(ClientCertificate.Abbreviate(ClientCertificate.Thumbprint(second)), listed.OutputLines[1], StringComparison.Ordinal);
        Assert.Contains("CERTIFICATE", listed.OutputLines[0], StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(unbound.Output).RootElement.GetProperty("certificateSha256").ValueKind);
        Assert.Null(StoredThumbprint(id));
    }

    [Fact]
    public async Task A_certificate_file_that_is_not_a_pem_certificate_is_bad_input_in_one_line_and_changes_nothing()
    {
        Directory.CreateDirectory(_data);
        var notPem = Path.Combine(_data, "key.pem");
        await File.WriteAllTextAsync(notPem, "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n", TestContext.Current.CancellationToken);

        var add = await Cli.RunAsync("clients", "add", "--terminal", "POS-01", "--certificate", notPem, "--data", _data);
        var missing = await Cli.RunAsync("clients", "add", "--terminal", "POS-01", "--certificate", Path.Combine(_data, "absent.pem"), "--data", _data);

        Assert.Equal(2, add.ExitCode);
        Assert.StartsWith("--certificate " + notPem + ": not a PEM certificate", Assert.Single(add.ErrorLines), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", add.Error, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Single(missing.ErrorLines);
        using var store = new ClientStore(StorePath, new FakeTimeProvider());
        Assert.Empty(store.List());
    }

    private string? StoredThumbprint(string clientId)
    {
        using var store = new ClientStore(StorePath, new FakeTimeProvider());
        return store.Find(clientId)!.CertificateThumbprint;
    }
}
