using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bakong.Gateway.Tests.Access;
using Bakong.Identity;

namespace Bakong.Gateway.Tests.Rest;

/// <summary>
/// Every error on the Web endpoint is REST's JSON <c>google.rpc.Status</c> (<c>{"code","message","details"}</c>):
/// unknown routes, wrong methods, QR images, 401/403 from the keys, and a body the transcoding cannot read, which
/// now names the field.
/// </summary>
public sealed class WebErrorFormatTests(SharedGateway shared) : SharedGatewayTest(shared)
{
    [Fact]
    public async Task An_unknown_route_is_404_as_a_status_with_code_not_found()
    {
        using var http = Gateway.CreateClient();

        using var response = await http.GetAsync(new Uri("/no/such/page?x=" + new string('y', 500), UriKind.Relative), Ct);

        var status = await StatusOf(response, HttpStatusCode.NotFound, code: 5);
        Assert.DoesNotContain("yyyy", status.GetRawText(), StringComparison.Ordinal);
        Assert.Empty(status.GetProperty("details").EnumerateArray());
    }

    [Fact]
    public async Task A_method_no_rest_route_takes_is_404_as_a_status_with_code_not_found()
    {
        using var http = Gateway.CreateClient();

        using var response = await http.DeleteAsync(new Uri("/v1/payments", UriKind.Relative), Ct);

        await StatusOf(response, HttpStatusCode.NotFound, code: 5);
    }

    [Fact]
    public async Task A_qr_image_of_an_unknown_payment_is_404_with_the_error_info_rest_gives()
    {
        using var http = Gateway.CreateClient();

        using var image = await http.GetAsync(new Uri("/payments/nope/qr.svg", UriKind.Relative), Ct);
        using var rest = await http.GetAsync(new Uri("/v1/payments/nope", UriKind.Relative), Ct);

        var status = await StatusOf(image, HttpStatusCode.NotFound, code: 5);
        Assert.Equal((await StatusOf(rest, HttpStatusCode.NotFound, code: 5)).GetRawText(), status.GetRawText());
    }

    [Fact]
    public async Task A_bad_qr_image_query_is_400_with_a_bad_request_naming_the_parameter()
    {
        using var http = Gateway.CreateClient();

        using var response = await http.GetAsync(new Uri("/payments/nope/qr.png?style=card", UriKind.Relative), Ct);

        var status = await StatusOf(response, HttpStatusCode.BadRequest, code: 3);
        Assert.Equal(["style"], FieldsOf(status));
    }

    [Theory]
    [InlineData("""{"requestId":"r-1","terminalId":"till-1","amount":{"currencyCode":"USD","units":12.5}}""", "amount.units", "whole number")]
    [InlineData("""{"requestId":"r-1","terminalId":"till-1","amount":{"currencyCode":"USD","units":"twelve"}}""", "amount.units", "whole number")]
    [InlineData("""{"requestId":"r-1","terminalId":123,"amount":{"currencyCode":"USD","units":12}}""", "terminal_id", "JSON string")]
    [InlineData("""{"requestId":"r-1","terminalId":"till-1","amount":[]}""", "amount", "JSON object")]
    [InlineData("""{"requestId":"r-1","terminalId":"till-1","amount":{"units":1},"expiresIn":300}""", "expires_in", "JSON string")]
    [InlineData("""{"requestId":"r-1","terminalId":"till-1","amount":{"units":1},"qrImage":{"format":"GIF"}}""", "qr_image.format", "QR_IMAGE_FORMAT_PNG")]
    public async Task A_body_with_a_value_of_the_wrong_json_type_is_400_naming_the_field(string body, string field, string expected)
    {
        using var http = Gateway.CreateClient();

        using var response = await http.PostAsync(new Uri("/v1/payments", UriKind.Relative), Json(body), Ct);

        var status = await StatusOf(response, HttpStatusCode.BadRequest, code: 3);
        Assert.True(FieldsOf(status).SequenceEqual([field]), status.GetRawText());
        Assert.Contains(expected, status.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("twelve", status.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_400_saying_where_without_echoing_it()
    {
        using var http = Gateway.CreateClient();

        using var response = await http.PostAsync(
            new Uri("/v1/payments", UriKind.Relative), Json("{\"requestId\":\"r-1\",\n \"secretsecret\" 12}"), Ct);

        var status = await StatusOf(response, HttpStatusCode.BadRequest, code: 3);
        var message = status.GetProperty("message").GetString();
        Assert.StartsWith("Request JSON payload is not correctly formatted", message, StringComparison.Ordinal);
        Assert.Contains("line 2", message, StringComparison.Ordinal);
        Assert.DoesNotContain("secretsecret", status.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_names_in_a_bad_body_are_never_echoed()
    {
        using var http = Gateway.CreateClient();
        var unknown = new string('k', 300);

        using var response = await http.PostAsync(
            new Uri("/v1/payments", UriKind.Relative),
            Json("{\"" + unknown + "\":{\"x\":1},\"requestId\":\"r-1\",\"amount\":{\"units\":0.5}}"),
            Ct);

        var status = await StatusOf(response, HttpStatusCode.BadRequest, code: 3);
        Assert.DoesNotContain("kkkk", status.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_401_and_403_from_the_keys_are_statuses_with_codes_unauthenticated_and_permission_denied()
    {
        await using var gateway = ApiKeys.Gateway();
        var till = gateway.AddClient(ClientRole.Terminal, "till-1");
        using var http = gateway.CreateClient();
        const string Create = """{"requestId":"r-403","terminalId":"till-2","amount":{"currencyCode":"KHR","units":100}}""";

        using var anonymous = await http.PostAsync(new Uri("/v1/payments", UriKind.Relative), Json(Create), Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/payments", UriKind.Relative)) { Content = Json(Create) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", till);
        using var otherTerminal = await http.SendAsync(request, Ct);

        await StatusOf(anonymous, HttpStatusCode.Unauthorized, code: 16);
        await StatusOf(otherTerminal, HttpStatusCode.Forbidden, code: 7);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static IReadOnlyList<string?> FieldsOf(JsonElement status) =>
        [.. status.GetProperty("details").EnumerateArray()
            .Where(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.BadRequest")
            .SelectMany(d => d.GetProperty("fieldViolations").EnumerateArray())
            .Select(v => v.GetProperty("field").GetString())];

    /// <summary>The body as a google.rpc.Status: exactly code, message and details, in JSON.</summary>
    private static async Task<JsonElement> StatusOf(HttpResponseMessage response, HttpStatusCode http, int code)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == http, response.StatusCode + ": " + body);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var status = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal(["code", "message", "details"], status.EnumerateObject().Select(p => p.Name));
        Assert.Equal(code, status.GetProperty("code").GetInt32());
        return status;
    }
}
