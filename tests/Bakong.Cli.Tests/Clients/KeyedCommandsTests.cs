using System.Text.Json;
using Bakong.Cli.Tests.Payments;

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
    public async Task Clients_add_is_refused_in_one_line_while_the_gateway_holds_the_client_store()
    {
        _gateway.Settings["Auth:Mode"] = "ApiKeys";
        _ = _gateway.Server; // starts it

        var run = await Cli.RunAsync("clients", "list", "--data", _gateway.DataDirectory);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("is in use by another process", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }
}
