extern alias testing;
using System.Text.Json;
using Bakong.Cli.Payments;
using Bakong.Cli.Tests.Payments;
using Bakong.Identity;
using testing::Bakong.Testing;

namespace Bakong.Cli.Tests.Clients;

/// <summary>
/// The client commands against a gateway that needs keys: a key made offline with <c>bakong clients add</c> (gateway
/// stopped), then used with <c>--key</c> once it runs; without one the command says how to give it.
/// </summary>
[Collection(nameof(GatewayHostedTests))]
public sealed class KeyedCommandsTests : IAsyncLifetime
{
    private readonly CliGateway _gateway = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_key_made_offline_lets_payments_list_through_and_no_key_or_another_terminal_is_refused_in_one_line()
    {
        var added = await Cli.RunAsync("clients", "add", "--terminal", "POS-01", "--json", "--data", _gateway.DataDirectory);
        var key = JsonDocument.Parse(added.Output).RootElement.GetProperty("key").GetString()!;
        _gateway.Settings["Auth:Mode"] = "ApiKeys";

        var list = await _gateway.RunAsync("payments", "list", "--key", key);
        var anonymous = await _gateway.RunAsync("payments", "list");
        var otherTerminal = await _gateway.RunAsync("pay", "--amount", "1.00", "--currency", "USD", "--terminal", "POS-02", "--no-qr", "--key", key);

        Assert.Equal(0, added.ExitCode);
        Assert.Equal(0, list.ExitCode);
        Assert.Empty(list.Error);
        Assert.Equal(1, anonymous.ExitCode);
        Assert.Equal("UNAUTHENTICATED: the gateway needs an API key: give --key or set BAKONG_KEY (a key from 'bakong clients add').", Assert.Single(anonymous.ErrorLines));
        Assert.Equal(1, otherTerminal.ExitCode);
        Assert.StartsWith("PERMISSION_DENIED: ", Assert.Single(otherTerminal.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BAKONG_KEY_gives_the_key_when_key_is_not_given_and_key_wins_over_it()
    {
        var added = await Cli.RunAsync("clients", "add", "--terminal", "POS-01", "--json", "--data", _gateway.DataDirectory);
        var key = JsonDocument.Parse(added.Output).RootElement.GetProperty("key").GetString()!;
        _gateway.Settings["Auth:Mode"] = "ApiKeys";

        _gateway.Variables[GatewayClient.KeyVariable] = " " + key + "\n";
        var fromVariable = await _gateway.RunAsync("payments", "list");
        var optionFirst = await _gateway.RunAsync("payments", "list", "--key", "bk_not0a0key0of0this0gateway");
        _gateway.Variables[GatewayClient.KeyVariable] = "  ";
        var blank = await _gateway.RunAsync("payments", "list");

        Assert.Equal(0, added.ExitCode);
        Assert.Equal((0, ""), (fromVariable.ExitCode, fromVariable.Error));
        Assert.Equal(1, optionFirst.ExitCode);
        Assert.StartsWith("UNAUTHENTICATED: ", Assert.Single(optionFirst.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(1, blank.ExitCode);
        Assert.Equal("UNAUTHENTICATED: the gateway needs an API key: give --key or set BAKONG_KEY (a key from 'bakong clients add').", Assert.Single(blank.ErrorLines));
        Assert.All(new[] { fromVariable, optionFirst, blank }, run => Assert.DoesNotContain(key, run.Output + run.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_key_in_a_kiosk_pairing_url_is_accepted_by_a_gateway_that_needs_keys()
    {
        var added = await Cli.RunAsync("clients", "add", "--role", "kiosk", "--terminal", "K-1", "--json", "--data", _gateway.DataDirectory);
        var pairingUrl = JsonDocument.Parse(added.Output).RootElement.GetProperty("pairingUrl").GetString()!;
        var key = pairingUrl[(pairingUrl.IndexOf("#key=", StringComparison.Ordinal) + "#key=".Length)..];
        _gateway.Settings["Auth:Mode"] = "ApiKeys";

        var list = await _gateway.RunAsync("payments", "list", "--key", key);

        Assert.Equal(0, added.ExitCode);
        Assert.True(list.ExitCode == 0, list.Error);
    }

    [Fact]
    public async Task Clients_add_is_refused_in_one_line_while_the_gateway_holds_the_client_store()
    {
        _gateway.Settings["Auth:Mode"] = "ApiKeys";
        _ = _gateway.Server; // starts it

        var run = await Cli.RunAsync("clients", "list", "--data", _gateway.DataDirectory);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("is in use by another process", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_gateway_running_clients_add_list_and_revoke_go_through_its_admin_api_with_an_operator_key()
    {
        var made = await Cli.RunAsync("clients", "add", "--role", "operator", "--json", "--data", _gateway.DataDirectory);
        var operatorKey = JsonDocument.Parse(made.Output).RootElement.GetProperty("key").GetString()!;
        _gateway.Settings["Auth:Mode"] = "ApiKeys";
        var data = _gateway.DataDirectory;

        var added = await _gateway.RunAsync("clients", "add", "--terminal", "POS-09", "--json", "--data", data, "--key", operatorKey);
        var root = JsonDocument.Parse(added.Output).RootElement;
        var id = root.GetProperty("clientId").GetString()!;
        var tillKey = root.GetProperty("key").GetString()!;
        var asTill = await _gateway.RunAsync("payments", "list", "--key", tillKey);
        var list = await _gateway.RunAsync("clients", "list", "--data", data, "--key", operatorKey);
        var asTillAdmin = await _gateway.RunAsync("clients", "list", "--data", data, "--key", tillKey);
        var revoke = await _gateway.RunAsync("clients", "revoke", id, "--data", data, "--key", operatorKey);
        var afterRevoke = await _gateway.RunAsync("payments", "list", "--key", tillKey);

        Assert.Equal((0, 0, 0, 0), (added.ExitCode, asTill.ExitCode, list.ExitCode, revoke.ExitCode));
        Assert.Equal(3, list.OutputLines.Length); // header, the operator, the till
        Assert.Contains(list.OutputLines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("POS-09", StringComparison.Ordinal));
        Assert.DoesNotContain(tillKey, list.Output, StringComparison.Ordinal);
        Assert.StartsWith("Revoked client " + id, revoke.Output, StringComparison.Ordinal);
        Assert.Equal(1, afterRevoke.ExitCode);
        Assert.Equal(1, asTillAdmin.ExitCode);
        Assert.StartsWith("PERMISSION_DENIED: ", Assert.Single(asTillAdmin.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_server_clients_add_list_and_revoke_ask_the_gateway_from_a_data_directory_with_no_client_store()
    {
        var made = await Cli.RunAsync("clients", "add", "--role", "operator", "--json", "--data", _gateway.DataDirectory);
        var operatorKey = JsonDocument.Parse(made.Output).RootElement.GetProperty("key").GetString()!;
        _gateway.Settings["Auth:Mode"] = "ApiKeys";
        // Another machine, or another folder: no bakong-clients.db at all. _gateway.RunAsync adds --server.
        var elsewhere = Directory.CreateTempSubdirectory("bakong-no-clients-");
        try
        {
            var data = elsewhere.FullName;

            var added = await _gateway.RunAsync("clients", "add", "--terminal", "POS-07", "--json", "--data", data, "--key", operatorKey);
            var root = JsonDocument.Parse(added.Output).RootElement;
            var (id, tillKey) = (root.GetProperty("clientId").GetString()!, root.GetProperty("key").GetString()!);
            var asTill = await _gateway.RunAsync("payments", "list", "--key", tillKey);
            var list = await _gateway.RunAsync("clients", "list", "--data", data, "--key", operatorKey);
            var revoke = await _gateway.RunAsync("clients", "revoke", id, "--data", data, "--key", operatorKey);
            var afterRevoke = await _gateway.RunAsync("payments", "list", "--key", tillKey);
            var listed = await _gateway.RunAsync("clients", "list", "--json", "--data", data, "--key", operatorKey);

            Assert.True(added.ExitCode == 0, added.Error);
            Assert.True(asTill.ExitCode == 0, asTill.Error);
            Assert.True(list.ExitCode == 0, list.Error);
            Assert.Equal(3, list.OutputLines.Length); // header, the operator, the till
            Assert.Contains(list.OutputLines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("POS-07", StringComparison.Ordinal));
            Assert.True(revoke.ExitCode == 0, revoke.Error);
            Assert.StartsWith("Revoked client " + id, revoke.Output, StringComparison.Ordinal);
            Assert.Equal(1, afterRevoke.ExitCode);
            Assert.StartsWith("UNAUTHENTICATED: ", Assert.Single(afterRevoke.ErrorLines), StringComparison.Ordinal);
            Assert.NotEqual(JsonValueKind.Null, listed.OutputLines.Select(l => JsonDocument.Parse(l).RootElement).Single(c => c.GetProperty("clientId").GetString() == id).GetProperty("revokedAt").ValueKind);
            Assert.Empty(elsewhere.GetFileSystemInfos()); // nothing was made here: it all went to the gateway
        }
        finally
        {
            elsewhere.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task With_server_and_no_key_clients_add_is_refused_by_the_gateway_and_adds_nothing_to_the_local_data_directory()
    {
        _gateway.Settings["Auth:Mode"] = "ApiKeys";
        var elsewhere = Directory.CreateTempSubdirectory("bakong-no-clients-");
        try
        {
            var added = await _gateway.RunAsync("clients", "add", "--role", "operator", "--data", elsewhere.FullName);

            Assert.Equal(1, added.ExitCode);
            Assert.StartsWith("UNAUTHENTICATED: ", Assert.Single(added.ErrorLines), StringComparison.Ordinal);
            Assert.Empty(added.Output);
            Assert.Empty(elsewhere.GetFileSystemInfos());
        }
        finally
        {
            elsewhere.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task With_the_gateway_running_bind_certificate_goes_through_the_admin_api_and_the_tills_key_alone_is_then_refused_saying_why()
    {
        var made = await Cli.RunAsync("clients", "add", "--role", "operator", "--json", "--data", _gateway.DataDirectory);
        var operatorKey = JsonDocument.Parse(made.Output).RootElement.GetProperty("key").GetString()!;
        var till = await Cli.RunAsync("clients", "add", "--terminal", "POS-01", "--json", "--data", _gateway.DataDirectory);
        var tillRoot = JsonDocument.Parse(till.Output).RootElement;
        var (tillId, tillKey) = (tillRoot.GetProperty("clientId").GetString()!, tillRoot.GetProperty("key").GetString()!);
        using var certificate = TestCertificates.SelfSigned("CN=POS-01");
        var pem = Path.Combine(_gateway.DataDirectory, "pos-01.pem");
        await File.WriteAllTextAsync(pem, certificate.ExportCertificatePem(), TestContext.Current.CancellationToken);
        _gateway.Settings["Auth:Mode"] = "ApiKeys";
        var data = _gateway.DataDirectory;

        var asTill = await _gateway.RunAsync("clients", "bind-certificate", tillId, "--certificate", pem, "--data", data, "--key", tillKey);
        var bound = await _gateway.RunAsync("clients", "bind-certificate", tillId, "--certificate", pem, "--json", "--data", data, "--key", operatorKey);
        var refused = await _gateway.RunAsync("payments", "list", "--key", tillKey);
        var unbound = await _gateway.RunAsync("clients", "unbind-certificate", tillId, "--data", data, "--key", operatorKey);
        var again = await _gateway.RunAsync("payments", "list", "--key", tillKey);

        Assert.Equal(1, asTill.ExitCode);
        Assert.StartsWith("PERMISSION_DENIED: ", Assert.Single(asTill.ErrorLines), StringComparison.Ordinal);
        Assert.True(bound.ExitCode == 0, bound.Error);
        Assert.Equal(ClientCertificate.Thumbprint(certificate), JsonDocument.Parse(bound.Output).RootElement.GetProperty("certificateSha256").GetString());
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("UNAUTHENTICATED: This key's client is bound to a TLS client certificate", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        Assert.True(unbound.ExitCode == 0, unbound.Error);
        Assert.StartsWith("Unbound client " + tillId, unbound.Output, StringComparison.Ordinal);
        Assert.True(again.ExitCode == 0, again.Error);
    }
}
