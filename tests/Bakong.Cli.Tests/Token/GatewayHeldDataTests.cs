using Bakong.Cli.Tests.Payments;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Storage;
using Bakong.OpenApi.Tokens;
using Bakong.Payments.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bakong.Cli.Tests.Token;

/// <summary>
/// <c>bakong token</c> and <c>bakong audit</c> against the files of a gateway that is running (in process): the gateway
/// holds their locks, so a command is never a second writer on them; it says so in one line and exits 1.
/// </summary>
public sealed class GatewayHeldDataTests
{
    [Fact]
    public async Task Token_status_and_audit_list_are_refused_in_one_line_while_a_gateway_holds_the_data()
    {
        await using var gateway = new CliGateway();
        var (tokens, audit) = StorePaths(gateway);

        var status = await Cli.RunAsync("token", "status", "--data", gateway.DataDirectory);
        var list = await Cli.RunAsync("audit", "list", "--data", gateway.DataDirectory);

        Assert.Equal(Path.Combine(gateway.DataDirectory, BakongDataDirectory.TokensFileName), tokens);
        Assert.Equal(1, status.ExitCode);
        Assert.Contains(Assert.Single(status.ErrorLines), Refusals(tokens, audit));
        Assert.Empty(status.Output);
        Assert.Equal((1, Refusal("call audit", audit)), (list.ExitCode, Assert.Single(list.ErrorLines)));
        Assert.Empty(list.Output);
    }

    [Fact]
    public async Task Without_storage_path_and_data_the_gateway_and_the_commands_default_to_the_same_files()
    {
        await using var gateway = new CliGateway(ownStorage: false);
        var (tokens, audit) = StorePaths(gateway);
        var payments = Path.GetFullPath(gateway.Services.GetRequiredService<IOptions<PaymentStorageOptions>>().Value.Path);

        // No --data: the commands resolve their default and meet the running gateway's files.
        var status = await Cli.RunAsync("token", "status");
        var list = await Cli.RunAsync("audit", "list");

        Assert.Equal(Path.Combine(BakongDataDirectory.Default, BakongDataDirectory.PaymentsFileName), payments);
        Assert.Equal(Path.Combine(BakongDataDirectory.Default, BakongDataDirectory.TokensFileName), tokens);
        Assert.Equal(1, status.ExitCode);
        Assert.Contains(Assert.Single(status.ErrorLines), Refusals(tokens, audit));
        Assert.Equal((1, Refusal("call audit", audit)), (list.ExitCode, Assert.Single(list.ErrorLines)));
    }

    /// <summary>Starts the gateway and returns where it keeps its token store and call audit.</summary>
    private static (string Tokens, string Audit) StorePaths(CliGateway gateway) => (
        gateway.Services.GetRequiredService<IOptions<BakongTokenOptions>>().Value.DatabasePath,
        gateway.Services.GetRequiredService<IOptions<BakongCallAuditOptions>>().Value.DatabasePath);

    /// <summary>A token command opens both stores (it audits its calls to Bakong): whichever it opens first is refused.</summary>
    private static string[] Refusals(string tokens, string audit) => [Refusal("token store", tokens), Refusal("call audit", audit)];

    private static string Refusal(string store, string path) =>
        $"The {store} '{path}' is in use by another process (a running gateway, or another bakong command, holds its lock file '{path}.lock'); "
        + "stop that process first, or use another data directory.";
}
