using System.Text.Json;
using Bakong.Cli.Tests.Payments;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Storage;
using Bakong.OpenApi.Tokens;
using Bakong.Payments.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bakong.Cli.Tests.Token;

/// <summary>
/// <c>bakong token</c>, <c>bakong audit</c> and <c>bakong clients</c> against the files of a gateway that is running (in
/// process): the gateway holds their locks, so a command never opens them; it asks the gateway's admin API instead. On
/// the old code each of these commands was refused in one line (exit 1): it tried to open the files.
/// </summary>
public sealed class GatewayHeldDataTests
{
    [Fact]
    public async Task While_a_gateway_holds_the_data_token_audit_and_clients_commands_answer_through_its_admin_api()
    {
        await using var gateway = new CliGateway();
        var data = gateway.DataDirectory;
        var made = await Cli.RunAsync("clients", "add", "--role", "operator", "--json", "--data", data);
        var kiosk = await Cli.RunAsync("clients", "add", "--role", "kiosk", "--terminal", "K-1", "--json", "--data", data);
        var key = JsonDocument.Parse(made.Output).RootElement.GetProperty("key").GetString()!;
        var kioskKey = JsonDocument.Parse(kiosk.Output).RootElement.GetProperty("key").GetString()!;
        gateway.Settings["Auth:Mode"] = "ApiKeys";
        var (tokens, audit) = StorePaths(gateway);
        var pasted = gateway.Host.Sandbox.IssueToken().Token;

        // No --server: each command finds the files held (their lock files) and asks the gateway instead of opening them.
        var status = await gateway.RunWithoutServerAsync("token", "status", "--data", data, "--key", key);
        var set = await gateway.RunWithoutServerAsync("token", "set", pasted, "--data", data, "--key", key);
        var renew = await gateway.RunWithoutServerAsync("token", "renew", "--data", data, "--key", key);
        await gateway.Services.GetRequiredService<LiteDbCallAudit>().FlushAsync(TestContext.Current.CancellationToken);
        var list = await gateway.RunWithoutServerAsync("audit", "list", "--endpoint", "renew_token", "--data", data, "--key", key);
        var api = await gateway.RunWithoutServerAsync("audit", "api", "--json", "--data", data, "--key", key);
        var clients = await gateway.RunWithoutServerAsync("clients", "list", "--data", data, "--key", key);
        var asKiosk = await gateway.RunWithoutServerAsync("token", "status", "--data", data, "--key", kioskKey);

        Assert.True(RunningGatewayHolds(tokens, audit), "the gateway holds its files throughout");
        Assert.Equal((0, ""), (status.ExitCode, status.Error));
        Assert.Contains("e-mail:      g***@sandbox.local", status.OutputLines); // masked: only the admin API masks it
        Assert.Equal((0, ""), (set.ExitCode, set.Error));
        Assert.StartsWith("Token saved for Sandbox.", set.Output, StringComparison.Ordinal);
        Assert.Equal((0, ""), (renew.ExitCode, renew.Error));
        Assert.StartsWith("Token renewed for Sandbox.", renew.Output, StringComparison.Ordinal);
        Assert.Equal((0, ""), (list.ExitCode, list.Error));
        Assert.Contains(list.OutputLines, line => line.Contains("/v1/renew_token", StringComparison.Ordinal));
        Assert.Equal((0, ""), (api.ExitCode, api.Error));
        Assert.Equal(
            ["RenewToken", "SetToken", "GetTokenStatus"],
            api.OutputLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("action").GetString()!).Where(a => a.Contains("Token", StringComparison.Ordinal)));
        Assert.DoesNotContain(pasted, api.Output + set.Output + status.Output, StringComparison.Ordinal);
        Assert.Equal(0, clients.ExitCode);
        Assert.Equal(3, clients.OutputLines.Length); // header, the operator, the kiosk
        Assert.Equal(1, asKiosk.ExitCode);
        Assert.StartsWith("PERMISSION_DENIED: ", Assert.Single(asKiosk.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_key_a_gateway_that_needs_one_is_named_in_one_line()
    {
        await using var gateway = new CliGateway();
        gateway.Settings["Auth:Mode"] = "ApiKeys";
        _ = gateway.Server; // starts it

        var status = await gateway.RunWithoutServerAsync("token", "status", "--data", gateway.DataDirectory);
        var list = await gateway.RunWithoutServerAsync("audit", "list", "--data", gateway.DataDirectory);

        Assert.Equal(1, status.ExitCode);
        Assert.Equal("UNAUTHENTICATED: the gateway needs an API key: give --key or set BAKONG_KEY (a key from 'bakong clients add').", Assert.Single(status.ErrorLines));
        Assert.Equal(1, list.ExitCode);
        Assert.Equal(status.ErrorLines, list.ErrorLines);
    }

    [Fact]
    public async Task Without_storage_path_and_data_the_gateway_and_the_commands_default_to_the_same_files()
    {
        await using var gateway = new CliGateway(ownStorage: false);
        var (tokens, audit) = StorePaths(gateway);
        var payments = Path.GetFullPath(gateway.Services.GetRequiredService<IOptions<PaymentStorageOptions>>().Value.Path);

        // No --data: the commands resolve their default, find the running gateway's files held, and ask it.
        var status = await gateway.RunWithoutServerAsync("token", "status");
        var list = await gateway.RunWithoutServerAsync("audit", "list");

        Assert.Equal(Path.Combine(BakongDataDirectory.Default, BakongDataDirectory.PaymentsFileName), payments);
        Assert.Equal(Path.Combine(BakongDataDirectory.Default, BakongDataDirectory.TokensFileName), tokens);
        Assert.Equal(Path.Combine(BakongDataDirectory.Default, BakongDataDirectory.AuditFileName), audit);
        Assert.Equal((0, ""), (status.ExitCode, status.Error));
        Assert.Contains("e-mail:      g***@sandbox.local", status.OutputLines);
        Assert.Equal((0, ""), (list.ExitCode, list.Error));
    }

    private static bool RunningGatewayHolds(params string[] files) => files.All(Bakong.Cli.RunningGateway.IsHeld);

    /// <summary>Starts the gateway and returns where it keeps its token store and call audit.</summary>
    private static (string Tokens, string Audit) StorePaths(CliGateway gateway) => (
        gateway.Services.GetRequiredService<IOptions<BakongTokenOptions>>().Value.DatabasePath,
        gateway.Services.GetRequiredService<IOptions<BakongCallAuditOptions>>().Value.DatabasePath);
}
