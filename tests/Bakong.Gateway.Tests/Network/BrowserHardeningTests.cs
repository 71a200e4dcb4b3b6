using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Bakong.Gateway.Tests.Network;

/// <summary>
/// What a hostile web page in a till's or kiosk's browser can do to the gateway: send a "simple" cross-site POST
/// (no CORS preflight), or frame the kiosk page and the QR images.
/// </summary>
public sealed class BrowserHardeningTests(SharedGateway shared) : SharedGatewayTest(shared)
{
    public static TheoryData<string?, string> NotJson => new()
    {
        { "text/plain", "" },
        { "text/plain;charset=UTF-8", "{}" },
        { "application/x-www-form-urlencoded", "a=b" },
        { "multipart/form-data; boundary=x", "--x--" },
        { null, "" },
    };

    [Theory]
    [MemberData(nameof(NotJson))]
    public async Task A_cross_site_style_post_that_is_not_json_cancels_nothing_415_with_a_status_body(string? contentType, string body)
    {
        var created = await Gateway.CreateAsync(Requests.Create("csrf-" + Guid.NewGuid().ToString("N")));
        using var http = Gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/payments/" + created.PaymentId + ":cancel");
        if (contentType is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await http.SendAsync(request, Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, (int)response.StatusCode + " " + text);
        var error = JsonDocument.Parse(text).RootElement;
        Assert.Equal(3, error.GetProperty("code").GetInt32());
        Assert.Contains("Content-Type: application/json", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, error.GetProperty("details").ValueKind);
        Assert.Equal(State.Pending, (await Gateway.GetAsync(created.PaymentId)).State);
    }

    [Fact]
    public async Task A_json_post_still_cancels()
    {
        var created = await Gateway.CreateAsync(Requests.Create("csrf-json"));
        using var http = Gateway.CreateClient();

        using var response = await http.PostAsync(
            new Uri("/v1/payments/" + created.PaymentId + ":cancel", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"), Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("STATE_CANCELLED", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("payment").GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("/kiosk", "script-src 'self'")]
    [InlineData("/kiosk/kiosk.js", "script-src 'self'")]
    [InlineData("/payments/{id}/qr.svg", "default-src 'none'")]
    [InlineData("/payments/{id}/qr.png", "default-src 'none'")]
    public async Task The_kiosk_page_and_qr_images_forbid_framing_sniffing_and_referrers(string path, string policyPart)
    {
        var created = await Gateway.CreateAsync(Requests.Create("headers-" + Guid.NewGuid().ToString("N")));
        using var http = Gateway.CreateClient();

        using var response = await http.GetAsync(new Uri(path.Replace("{id}", created.PaymentId, StringComparison.Ordinal), UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains(policyPart, policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
    }
}
