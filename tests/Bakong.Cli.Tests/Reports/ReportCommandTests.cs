using System.Text.Json;
using Bakong.Cli.Tests.Payments;

namespace Bakong.Cli.Tests.Reports;

/// <summary><c>bakong report</c> through the admin API of a gateway that needs keys: an operator's key only.</summary>
[Collection(nameof(GatewayHostedTests))]
public sealed class ReportCommandTests : IAsyncLifetime
{
    private readonly CliGateway _gateway = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task An_operator_gets_the_report_as_text_csv_and_json_and_a_terminal_key_or_a_bad_date_is_refused_in_one_line()
    {
        var operatorKey = await KeyAsync("--role", "operator");
        var terminalKey = await KeyAsync("--terminal", "POS-01");
        _gateway.Settings["Auth:Mode"] = "ApiKeys";

        var text = await _gateway.RunAsync("report", "--date", "2026-03-01", "--key", operatorKey);
        var csv = await _gateway.RunAsync("report", "--date", "2026-03-01", "--terminal", "POS-01", "--csv", "--key", operatorKey);
        var json = await _gateway.RunAsync("report", "--date", "2026-03-01", "--json", "--key", operatorKey);
        var terminal = await _gateway.RunAsync("report", "--date", "2026-03-01", "--key", terminalKey);
        var badDate = await _gateway.RunAsync("report", "--date", "1/3/2026", "--key", operatorKey);

        Assert.Equal(0, text.ExitCode);
        Assert.StartsWith("Settlement 2026-03-01 (Asia/Phnom_Penh)", text.Output, StringComparison.Ordinal);
        Assert.Equal(0, csv.ExitCode);
        Assert.Equal("section,terminal_id,currency,state,count,amount,payment_id,order_ref,create_time,settle_time,transaction_hash,bakong_check,detail,merchant_profile_id\r\n", csv.Output);
        Assert.Equal(0, json.ExitCode);
        Assert.Equal("2026-03-01", JsonDocument.Parse(json.Output).RootElement.GetProperty("date").GetString());
        Assert.Equal(1, terminal.ExitCode);
        Assert.StartsWith("PERMISSION_DENIED: ", Assert.Single(terminal.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(2, badDate.ExitCode);
        Assert.StartsWith("INVALID_ARGUMENT: date: ", Assert.Single(badDate.ErrorLines), StringComparison.Ordinal);
    }

    private async Task<string> KeyAsync(params string[] args)
    {
        var added = await Cli.RunAsync(["clients", "add", .. args, "--json", "--data", _gateway.DataDirectory]);
        return JsonDocument.Parse(added.Output).RootElement.GetProperty("key").GetString()!;
    }
}
