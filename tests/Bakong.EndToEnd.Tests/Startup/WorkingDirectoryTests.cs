using System.Text.Json;
using Bakong.EndToEnd.Tests.Processes;
using Bakong.Payments.V1;

namespace Bakong.EndToEnd.Tests.Startup;

/// <summary>
/// The gateway started from a folder that is not its own, as a service manager starts it (systemd in <c>/</c>, the
/// Windows service manager in System32): it still reads the <c>appsettings.json</c> beside it, and a relative data
/// directory is taken from where it was started, as any path on a command line.
/// </summary>
public sealed class WorkingDirectoryTests : IAsyncLifetime
{
    private readonly string _elsewhere = Path.Combine(Path.GetTempPath(), "bakong-cwd-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Started_from_another_directory_the_gateway_reads_its_own_appsettings_and_serves()
    {
        await using var gateway = await GatewayProcess.StartAsync(settings: null, _elsewhere, Ct);
        using var http = new HttpClient { BaseAddress = gateway.WebUrl };

        using var live = await http.GetAsync("/healthz", Ct);
        using var ready = await http.GetAsync("/readyz", Ct);
        var created = await gateway.Payments.CreatePaymentAsync(
            new CreatePaymentRequest { RequestId = "cwd-1", TerminalId = "till-1", Amount = new Money { CurrencyCode = "KHR", Units = 5000 } },
            cancellationToken: Ct);

        Assert.True(live.IsSuccessStatusCode, gateway.Output);
        Assert.True(ready.IsSuccessStatusCode, await ready.Content.ReadAsStringAsync(Ct) + gateway.Output);
        Assert.Equal("Healthy", JsonDocument.Parse(await ready.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("status").GetString());

        // The demo merchant's name is in appsettings.json only: without it the gateway would not have started at all.
        Assert.Contains("Demo Shop", created.Payment.Khqr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_elsewhere));
    }

    [Fact]
    public async Task A_relative_data_directory_is_taken_from_the_working_directory()
    {
        await using var gateway = ChildProcess.Start(Built.Gateway, [], new Dictionary<string, string>
        {
            ["BAKONG_DATA"] = "shop-data",
            ["Kestrel__Endpoints__Grpc__Url"] = "http://127.0.0.1:" + FreePort.Next(),
            ["Kestrel__Endpoints__Web__Url"] = "http://127.0.0.1:" + FreePort.Next(),
        }, _elsewhere);

        var stored = await gateway.WaitForLineAsync(l => l.Contains("Payments are stored in ", StringComparison.Ordinal), GatewayProcess.Timeout, Ct);
        await gateway.WaitForLineAsync(l => l.Contains("Application started", StringComparison.Ordinal), GatewayProcess.Timeout, Ct);
        await gateway.TerminateAsync(GatewayProcess.Timeout, Ct);

        var data = Path.Combine(_elsewhere, "shop-data");
        Assert.Contains("Payments are stored in " + Path.Combine(data, "bakong.db") + ";", stored, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(data, "bakong.db")), gateway.Output);
        Assert.True(File.Exists(Path.Combine(data, "bakong-tokens.db")), gateway.Output);
    }

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_elsewhere);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_elsewhere))
        {
            Directory.Delete(_elsewhere, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
