using System.Text.Json;
using Bakong.Cli.Tests.Payments;

namespace Bakong.Cli.Tests.Audit;

/// <summary><c>bakong audit api</c>: the gateway's creates, cancels and admin actions, read from its data directory once it is stopped.</summary>
[Collection(nameof(GatewayHostedTests))]
public sealed class AuditApiCommandTests : IAsyncLifetime
{
    private readonly CliGateway _gateway = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Lists_who_did_what_from_where_newest_first_filtered_by_client_and_never_a_key()
    {
        var data = _gateway.DataDirectory;
        var made = await Cli.RunAsync("clients", "add", "--role", "operator", "--json", "--data", data);
        var operatorRoot = JsonDocument.Parse(made.Output).RootElement;
        var operatorKey = operatorRoot.GetProperty("key").GetString()!;
        var operatorId = operatorRoot.GetProperty("clientId").GetString()!;
        _gateway.Settings["Auth:Mode"] = "ApiKeys";
        var added = await _gateway.RunAsync("clients", "add", "--terminal", "POS-09", "--json", "--data", data, "--key", operatorKey);
        var terminalKey = JsonDocument.Parse(added.Output).RootElement.GetProperty("key").GetString()!;
        var refused = await _gateway.RunAsync("pay", "--amount", "1.00", "--currency", "USD", "--terminal", "POS-02", "--no-qr", "--key", terminalKey);
        await _gateway.StopAsync();

        var table = await Cli.RunAsync("audit", "api", "--data", data);
        var json = await Cli.RunAsync("audit", "api", "--json", "--data", data);
        var byOperator = await Cli.RunAsync("audit", "api", "--json", "--client", operatorId, "--data", data);

        Assert.Equal(1, refused.ExitCode);
        Assert.Equal(0, table.ExitCode);
        Assert.StartsWith("TIME (UTC)", table.OutputLines[0], StringComparison.Ordinal);
        Assert.Equal(3, table.OutputLines.Length);
        var rows = json.OutputLines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["CreatePayment", "AddClient"], rows.Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(["PERMISSION_DENIED", "OK"], rows.Select(r => r.GetProperty("outcome").GetString()));
        Assert.Equal(operatorId, rows[1].GetProperty("client").GetString());
        Assert.NotEqual(operatorId, rows[0].GetProperty("client").GetString());
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("peer").GetString())));
        Assert.Equal(["AddClient"], byOperator.OutputLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("action").GetString()));
        Assert.DoesNotContain(terminalKey[^30..], table.Output + json.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(operatorKey[^30..], table.Output + json.Output, StringComparison.Ordinal);
    }
}
