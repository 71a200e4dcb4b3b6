using System.Net.Http.Json;
using System.Text.Json;

namespace Bakong.EndToEnd.Tests.Processes;

/// <summary>
/// <c>bakong sandbox serve</c> as its own process: the simulated Bakong outlives the gateways the test kills, as the
/// real one does.
/// </summary>
internal sealed class SandboxProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private SandboxProcess(ChildProcess process, Uri url)
    {
        _process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url.AbsoluteUri.TrimEnd('/') + "/") };
    }

    /// <summary>The sandbox's base URL (its API under <c>v1/</c>, its control API under <c>control/</c>).</summary>
    public Uri Url { get; }

    public HttpClient Http { get; }

    public static async Task<SandboxProcess> StartAsync(CancellationToken cancellationToken)
    {
        var process = ChildProcess.Start(Built.Cli, ["sandbox", "serve", "--port", "0", "--seed", "7"]);
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith("Bakong sandbox at ", StringComparison.Ordinal), TimeSpan.FromSeconds(60), cancellationToken);
            var url = line["Bakong sandbox at ".Length..].Split(' ')[0];
            return new SandboxProcess(process, new Uri(url));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>A token for the gateway, as Bakong would e-mail it to the merchant.</summary>
    public async Task<string> IssueTokenAsync(string email, CancellationToken cancellationToken)
    {
        using var response = await Http.PostAsJsonAsync("control/tokens", new { email }, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>The customer pays this KHQR in their bank app; Bakong reports it <paramref name="delay"/> later.</summary>
    public async Task PayAsync(string khqr, TimeSpan delay, CancellationToken cancellationToken)
    {
        using var response = await Http.PostAsJsonAsync("control/pay", new { qr = khqr, delayMs = (long)delay.TotalMilliseconds }, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>The <c>check_transaction_by_md5_list</c> calls the sandbox answered so far, oldest first (<c>GET control/calls</c>).</summary>
    public async Task<IReadOnlyList<Md5ListCall>> Md5ListCallsAsync(CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync("control/calls?endpoint=check_transaction_by_md5_list", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, body);
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("calls").EnumerateArray().Select(c => new Md5ListCall(
            DateTimeOffset.FromUnixTimeMilliseconds(c.GetProperty("atMs").GetInt64()),
            [.. c.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!)]))];
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
    }
}

/// <summary>One md5-list call as the sandbox (Bakong) received it: when, and which md5s it asked about.</summary>
internal sealed record Md5ListCall(DateTimeOffset At, IReadOnlyList<string> Md5s);
