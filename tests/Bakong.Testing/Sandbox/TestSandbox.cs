using System.Net;
using System.Text;
using System.Text.Json;
using Bakong.Sandbox;

namespace Bakong.Testing;

/// <summary>
/// The one way tests start the built-in Bakong sandbox and drive its control API: on 127.0.0.1 with a port of its own,
/// on the test's clock, with its logging off, and every control call checked for 200. What each test project adds
/// around it (HTTP helpers for Bakong's own calls, a host with the client, the CLI) stays in that project.
/// </summary>
public static class TestSandbox
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    public static Task<SandboxServer> StartAsync(TimeProvider clock, Action<SandboxOptions>? configure = null) =>
        SandboxServer.StartAsync(0, clock, configure, logging: static _ => { }, TestContext.Current.CancellationToken);

    /// <summary>
    /// A control call (<c>control/pay</c>, <c>control/faults</c>, <c>control/mailbox?email=</c> …, relative to the
    /// sandbox's base URL) that must answer 200; its JSON body as <typeparamref name="T"/>.
    /// </summary>
    public static async Task<T> ControlAsync<T>(this SandboxServer sandbox, HttpMethod method, string path, object? body = null)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        using var http = new HttpClient { BaseAddress = sandbox.BaseUrl };
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, s_json), Encoding.UTF8, "application/json");
        }

        var ct = TestContext.Current.CancellationToken;
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<T>(text, s_json)!;
    }
}
