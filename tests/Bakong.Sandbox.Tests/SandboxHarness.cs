using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bakong.Khqr;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Sandbox.Tests;

/// <summary>A sandbox on a real loopback port, a fake clock, and plain HTTP helpers around it.</summary>
internal sealed class SandboxHarness : IAsyncDisposable
{
    public const string MerchantAccount = TestQrs.MerchantAccount;

    private SandboxHarness(FakeTimeProvider time, SandboxServer server)
    {
        Time = time;
        Server = server;
        Http = new HttpClient { BaseAddress = server.BaseUrl };
    }

    public FakeTimeProvider Time { get; }

    public SandboxServer Server { get; }

    public HttpClient Http { get; }

    public SandboxState State => Server.State;

    public static async Task<SandboxHarness> StartAsync(Action<SandboxOptions>? configure = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var server = await TestSandbox.StartAsync(time, configure);
        return new SandboxHarness(time, server);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }

    public KhqrCode DynamicQr(decimal amount, KhqrCurrency currency = KhqrCurrency.Usd, string account = MerchantAccount, string? bill = null) =>
        TestQrs.Dynamic(Time, amount, currency, account, bill);

    public KhqrCode StaticQr(string account = MerchantAccount) => TestQrs.Static(Time, account);

    public async Task<string> TokenAsync(string? email = null)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "control/tokens", email is null ? new { } : new { email });
        Assert.Equal(HttpStatusCode.OK, status);
        return Json(body).GetProperty("token").GetString()!;
    }

    public Task<Answer> BakongAsync(string endpoint, object body, string? token = null) =>
        SendRawAsync("v1/" + endpoint, JsonSerializer.Serialize(body), token, TestContext.Current.CancellationToken);

    /// <summary>A Bakong call the caller may give up on.</summary>
    public Task<Answer> BakongUntilAsync(string endpoint, object body, string? token, CancellationToken giveUp) =>
        SendRawAsync("v1/" + endpoint, JsonSerializer.Serialize(body), token, giveUp);

    public Task<Answer> PostRawAsync(string path, string json, string? token = null) =>
        SendRawAsync(path, json, token, TestContext.Current.CancellationToken);

    private async Task<Answer> SendRawAsync(string path, string json, string? token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await Http.SendAsync(request, cancellationToken);
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public Task PayAsync(object request) => ControlOkAsync("control/pay", request);

    public Task FaultsAsync(object faults) => ControlOkAsync("control/faults", faults, HttpMethod.Put);

    public Task ControlOkAsync(string path, object body, HttpMethod? method = null) =>
        Server.ControlAsync<JsonElement>(method ?? HttpMethod.Post, path, body);

    public static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}

/// <summary>An HTTP answer as a client sees it.</summary>
internal sealed record Answer(HttpStatusCode Status, string? MediaType, string Body)
{
    public JsonElement Json => SandboxHarness.Json(Body);

    public int ResponseCode => Json.GetProperty("responseCode").GetInt32();

    public int? ErrorCode => Json.GetProperty("errorCode").ValueKind == JsonValueKind.Null ? null : Json.GetProperty("errorCode").GetInt32();

    public JsonElement Data => Json.GetProperty("data");
}
