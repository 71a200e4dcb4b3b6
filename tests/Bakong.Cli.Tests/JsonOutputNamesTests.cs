using System.Text.Json;
using System.Text.RegularExpressions;
using Bakong.Cli.Tests.Payments;

namespace Bakong.Cli.Tests;

/// <summary>
/// Every <c>--json</c> of <c>bakong</c> names its fields as REST does: lowerCamelCase at every depth, and a payment with
/// exactly the names <c>GET /v1/payments/{id}</c> gives it (docs/cli.md, "JSON output"). <c>payments load --watchers</c>
/// is held to its exact names by WatchLoadTests; <c>display conformance</c> needs a serial device.
/// </summary>
[Collection(nameof(GatewayHostedTests))]
public sealed partial class JsonOutputNamesTests : IAsyncLifetime
{
    private readonly CliGateway _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Every_json_output_is_lowerCamelCase_at_every_depth_and_a_payment_has_REST_names()
    {
        var data = _gateway.DataDirectory;
        var outputs = new List<(string Command, string[] Lines)>();
        void Keep(string command, CliRun run)
        {
            Assert.True(run.OutputLines.Length > 0, command + " wrote nothing: " + run.Error);
            outputs.Add((command, run.OutputLines));
        }

        Keep("clients add", await Cli.RunAsync("clients", "add", "--terminal", "POS-01", "--json", "--data", data));
        Keep("clients list", await Cli.RunAsync("clients", "list", "--json", "--data", data));

        var pay = _gateway.Launch(Ct, "pay", "--amount", "12.50", "--currency", "USD", "--terminal", "POS-01", "--order", "INV-1", "--request-id", "sale-1", "--json", "--no-qr");
        var created = JsonDocument.Parse(await pay.Output.LineAsync("\"event\":\"created\"")).RootElement.GetProperty("payment");
        var id = created.GetProperty("paymentId").GetString()!;
        await _gateway.WaitForFirstCheckAsync(id);
        await _gateway.PayAsync(created.GetProperty("khqr").GetString()!);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        Assert.Equal(0, await pay.ExitCodeAsync());
        var payLines = pay.Output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        outputs.Add(("pay", payLines));

        var watch = await _gateway.RunAsync("watch", id, "--json");
        Keep("watch", watch);
        var list = await _gateway.RunAsync("payments", "list", "--json");
        Keep("payments list", list);
        var refused = await _gateway.RunAsync("pay", "--amount", "1", "--currency", "USD", "--terminal", "POS-01", "--request-id", "sale-1", "--json");
        Assert.NotEqual(0, refused.ExitCode);
        Keep("pay (an error)", refused);
        Keep("payments load", await _gateway.RunAsync("payments", "load", "--count", "2", "--concurrency", "1", "--warm-up", "0", "--json"));
        var report = await _gateway.RunAsync("report", "--date", "2026-03-01", "--json");
        Keep("report", report);
        Keep("khqr generate", await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha Coffee", "--amount", "1.25", "--currency", "USD", "--json"));
        Keep("khqr decode", await Cli.RunAsync("khqr", "decode", created.GetProperty("khqr").GetString()!, "--json"));

        using var http = _gateway.Host.CreateClient();
        var restPayment = JsonDocument.Parse(await http.GetStringAsync(new Uri("/v1/payments/" + id, UriKind.Relative), Ct)).RootElement.GetProperty("payment");
        var restReport = JsonDocument.Parse(await http.GetStringAsync(new Uri("/v1/reports/settlement?date=2026-03-01", UriKind.Relative), Ct)).RootElement;

        // Read from the data directory, with the gateway stopped.
        await _gateway.StopAsync();
        Keep("token status", await Cli.RunAsync("token", "status", "--json", "--data", data));
        Keep("audit list", await Cli.RunAsync("audit", "list", "--json", "--data", data));
        Keep("audit api", await Cli.RunAsync("audit", "api", "--json", "--data", data));

        var wrong = outputs
            .SelectMany(o => o.Lines.SelectMany(line => Names(JsonDocument.Parse(line).RootElement, "")).Select(path => (o.Command, path)))
            .Where(p => !LowerCamelCase().IsMatch(p.path.Split('.')[^1].TrimEnd(']').TrimEnd('[')))
            .Select(p => p.Command + ": " + p.path)
            .Distinct()
            .ToList();
        Assert.Empty(wrong);

        // The PAID payment: the same names from pay's result, watch, payments list and REST; the report too.
        var restNames = Names(restPayment, "").ToHashSet();
        Assert.Contains("bakongTransaction.hash", restNames);
        Assert.Equal(restNames, Names(JsonDocument.Parse(payLines[^1]).RootElement.GetProperty("payment"), "").ToHashSet());
        Assert.Equal(restNames, Names(JsonDocument.Parse(watch.OutputLines[^1]).RootElement.GetProperty("payment"), "").ToHashSet());
        var listed = list.OutputLines.Select(l => JsonDocument.Parse(l).RootElement).Single(p => p.GetProperty("paymentId").GetString() == id);
        Assert.Equal(restNames, Names(listed, "").ToHashSet());
        Assert.Equal(restPayment.GetProperty("state").GetString(), listed.GetProperty("state").GetString()); // STATE_PAID, as REST
        Assert.Equal(restPayment.GetProperty("version").GetInt64(), listed.GetProperty("version").GetInt64()); // a number, as REST
        Assert.Equal(Names(restReport, "").ToHashSet(), Names(JsonDocument.Parse(report.Output).RootElement, "").ToHashSet());
    }

    /// <summary>Every property's path (<c>payment.amount.units</c>, <c>paid[].payment.state</c>) at every depth.</summary>
    private static IEnumerable<string> Names(JsonElement element, string prefix)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var path = prefix + property.Name;
                    yield return path;
                    foreach (var inner in Names(property.Value, path + "."))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var inner in element.EnumerateArray().SelectMany(item => Names(item, prefix.TrimEnd('.') + "[].")))
                {
                    yield return inner;
                }

                break;
        }
    }

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex LowerCamelCase();
}
