using Bakong.EndToEnd.Tests.Processes;

namespace Bakong.EndToEnd.Tests.Startup;

/// <summary>
/// The gateway process given a setting it cannot run with: it stops before serving, non-zero, with one line naming
/// the setting, as an operator reads it in a terminal or a service journal, and no unhandled-exception stack trace.
/// </summary>
public sealed class GatewayStartupTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "bakong-startup-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Bakong__Mode", "Prod", "The gateway cannot start: Bakong:Mode must be Sandbox, Sit or Production (got 'Prod').")]
    [InlineData("Bakong__Mode", "Production",
        "The gateway cannot start: Merchant:BakongAccountId is the demo account demo_shop@devb: with Bakong:Mode=Production, set your own receiving Bakong account (name@bank).")]
    public async Task A_bad_setting_stops_the_gateway_with_one_line_naming_it_and_no_stack_trace(string key, string value, string expected)
    {
        await using var gateway = ChildProcess.Start(Built.Gateway, [], new Dictionary<string, string>
        {
            [key] = value,
            ["Storage__Path"] = Path.Combine(_data, "bakong.db"),
            ["Kestrel__Endpoints__Grpc__Url"] = "http://127.0.0.1:" + FreePort.Next(),
            ["Kestrel__Endpoints__Web__Url"] = "http://127.0.0.1:" + FreePort.Next(),
        });

        var exitCode = await gateway.WaitForExitAsync(GatewayProcess.Timeout, Ct);

        Assert.True(exitCode != 0, gateway.Output);
        var lines = gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(expected, Assert.Single(lines));
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
