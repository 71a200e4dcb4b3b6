using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Bakong.Gateway.Tests;

/// <summary>The PaymentService as REST (JSON transcoding by the proto's <c>google.api.http</c> options), over plain HTTP/1.1.</summary>
public sealed class RestTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = new();
    private HttpClient _http = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _http = _gateway.CreateClient();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task Post_creates_a_payment_and_get_returns_it_in_lower_camel_case_json()
    {
        var created = await CreateAsync("rest-1", riel: 4200);

        Assert.Equal("STATE_PENDING", created.GetProperty("state").GetString());
        Assert.Equal("KHR", created.GetProperty("amount").GetProperty("currencyCode").GetString());
        Assert.Equal(4200, created.GetProperty("amount").GetProperty("units").GetInt64());
        Assert.StartsWith("000201", created.GetProperty("khqr").GetString(), StringComparison.Ordinal);
        Assert.Equal("2026-03-01T09:05:00Z", created.GetProperty("expireTime").GetString());

        var id = created.GetProperty("paymentId").GetString();
        using var got = await _http.GetAsync(new Uri("/v1/payments/" + id, UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        var payment = (await got.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("payment");
        Assert.Equal((id, "STATE_PENDING"), (payment.GetProperty("paymentId").GetString(), payment.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task Invalid_input_is_400_with_a_bad_request_detail_naming_each_field()
    {
        using var response = await _http.PostAsync(
            new Uri("/v1/payments", UriKind.Relative),
            Json("""{"requestId":"has space","terminalId":"till-1","amount":{"currencyCode":"KHR","units":100,"nanos":500000000}}"""),
            Ct);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync(Ct));
        var error = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(3, error.GetProperty("code").GetInt32());
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal("type.googleapis.com/google.rpc.BadRequest", detail.GetProperty("@type").GetString());
        var fields = detail.GetProperty("fieldViolations").EnumerateArray().Select(v => v.GetProperty("field").GetString()).ToList();
        Assert.Equal(["request_id", "amount.nanos"], fields);
    }

    [Fact]
    public async Task An_unknown_payment_is_404_with_the_error_info()
    {
        using var response = await _http.GetAsync(new Uri("/v1/payments/nope", UriKind.Relative), Ct);

        Assert.True(response.StatusCode == HttpStatusCode.NotFound, await response.Content.ReadAsStringAsync(Ct));
        var error = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var info = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal("type.googleapis.com/google.rpc.ErrorInfo", info.GetProperty("@type").GetString());
        Assert.Equal("PAYMENT_NOT_FOUND", info.GetProperty("reason").GetString());
        Assert.Equal("nope", info.GetProperty("metadata").GetProperty("payment_id").GetString());
    }

    [Fact]
    public async Task A_reused_request_id_is_409_and_cancelling_a_settled_payment_is_400_failed_precondition()
    {
        var first = await CreateAsync("rest-reused", riel: 5000);
        using var conflict = await _http.PostAsJsonAsync(
            new Uri("/v1/payments", UriKind.Relative),
            new { requestId = "rest-reused", terminalId = "till-1", amount = new { currencyCode = "KHR", units = 6000 } },
            Ct);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        var info = Assert.Single((await conflict.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("details").EnumerateArray());
        Assert.Equal("REQUEST_ID_CONFLICT", info.GetProperty("reason").GetString());

        var paid = await _gateway.CreatePaidAsync("rest-paid");
        using var cancel = await _http.PostAsync(new Uri("/v1/payments/" + paid.PaymentId + ":cancel", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, cancel.StatusCode);
        var error = await cancel.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(9, error.GetProperty("code").GetInt32());
        Assert.Equal("STATE_PAID", Assert.Single(error.GetProperty("details").EnumerateArray()).GetProperty("metadata").GetProperty("state").GetString());
        Assert.Equal("STATE_PENDING", (await GetJsonAsync("/v1/payments/" + first.GetProperty("paymentId").GetString())).GetProperty("payment").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Cancel_cancels_a_pending_payment_and_cancelling_a_cancelled_one_returns_it_unchanged()
    {
        var id = (await CreateAsync("rest-cancel")).GetProperty("paymentId").GetString();

        var cancelled = await CancelAsync(id!);
        var again = await CancelAsync(id!);

        Assert.Equal("STATE_CANCELLED", cancelled.GetProperty("state").GetString());
        Assert.Equal(cancelled.GetProperty("version").GetInt64(), again.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task List_filters_by_terminal_and_state_from_the_query_string_and_pages()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await CreateAsync("rest-list-" + i, terminal: "till-7")).GetProperty("paymentId").GetString()!);
            _gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        await CreateAsync("rest-other", terminal: "till-8");
        await CancelAsync(ids[0]);

        var page = await GetJsonAsync("/v1/payments?terminalId=till-7&pageSize=2");
        Assert.Equal([ids[2], ids[1]], page.GetProperty("payments").EnumerateArray().Select(p => p.GetProperty("paymentId").GetString()));
        var next = page.GetProperty("nextPageToken").GetString();
        var last = await GetJsonAsync("/v1/payments?terminalId=till-7&pageSize=2&pageToken=" + Uri.EscapeDataString(next!));
        Assert.Equal(ids[0], Assert.Single(last.GetProperty("payments").EnumerateArray()).GetProperty("paymentId").GetString());

        var cancelled = await GetJsonAsync("/v1/payments?states=STATE_CANCELLED");
        Assert.Equal(ids[0], Assert.Single(cancelled.GetProperty("payments").EnumerateArray()).GetProperty("paymentId").GetString());
    }

    [Fact]
    public async Task Watch_streams_one_json_object_per_change_with_no_line_for_checks_that_find_nothing_until_the_payment_is_paid()
    {
        var created = await CreateAsync("rest-watch");
        var id = created.GetProperty("paymentId").GetString()!;
        using var response = await _http.GetAsync(new Uri("/v1/payments/" + id + ":watch", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));

        var first = await NextLineAsync(reader);
        var next = NextLineAsync(reader);
        await _gateway.CheckedAsync(id, checks: 1);
        for (var check = 0; check < 3; check++)
        {
            await _gateway.CheckNextAsync(id);
        }

        Assert.False(next.IsCompleted, "a check that found nothing was streamed");
        await _gateway.PayAsync(created.GetProperty("khqr").GetString()!);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));
        var paid = await next;

        Assert.Equal("STATE_PENDING", first.GetProperty("state").GetString());
        Assert.Equal("STATE_PAID", paid.GetProperty("state").GetString());
        Assert.True(paid.GetProperty("version").GetInt64() > first.GetProperty("version").GetInt64() + 3);
        Assert.Null(await reader.ReadLineAsync(Ct).AsTask().WaitAsync(GatewayFactory.Timeout, Ct));
    }

    [Fact]
    public async Task A_terminal_watch_streams_the_caught_up_marker_then_each_payment_as_json_lines_and_resumes_by_cursor()
    {
        using var response = await _http.GetAsync(new Uri("/v1/terminals/till-7:watch", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));

        var caughtUp = await NextObjectAsync(reader);
        var created = await CreateAsync("rest-terminal", terminal: "till-7");
        var change = await NextObjectAsync(reader);

        Assert.True(caughtUp.TryGetProperty("caughtUp", out _));
        Assert.Equal(created.GetProperty("paymentId").GetString(), change.GetProperty("payment").GetProperty("paymentId").GetString());
        var cursor = caughtUp.GetProperty("cursor").GetString()!;
        using var resumed = await _http.GetAsync(
            new Uri("/v1/terminals/till-7:watch?cursor=" + Uri.EscapeDataString(cursor), UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, Ct);
        using var resumedReader = new StreamReader(await resumed.Content.ReadAsStreamAsync(Ct));
        Assert.Equal(change.GetProperty("cursor").GetString(), (await NextObjectAsync(resumedReader)).GetProperty("cursor").GetString());
    }

    [Fact]
    public async Task Every_terminals_watch_streams_the_caught_up_marker_then_any_terminals_payment_as_json_lines()
    {
        using var response = await _http.GetAsync(new Uri("/v1/payments:watch", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));

        var caughtUp = await NextObjectAsync(reader);
        var first = await CreateAsync("rest-every-1", terminal: "till-5");
        var second = await CreateAsync("rest-every-2", terminal: "till-6");

        Assert.True(caughtUp.TryGetProperty("caughtUp", out _));
        Assert.Equal(first.GetProperty("paymentId").GetString(), (await NextObjectAsync(reader)).GetProperty("payment").GetProperty("paymentId").GetString());
        Assert.Equal(second.GetProperty("paymentId").GetString(), (await NextObjectAsync(reader)).GetProperty("payment").GetProperty("paymentId").GetString());
    }

    private static async Task<JsonElement> NextObjectAsync(StreamReader reader)
    {
        var line = await reader.ReadLineAsync(Ct).AsTask().WaitAsync(GatewayFactory.Timeout, Ct);
        Assert.False(string.IsNullOrEmpty(line), "the watch ended");
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    private const string ValidCreate = """{"requestId":"charset-1","terminalId":"till-1","amount":{"currencyCode":"KHR","units":100}}""";

    public static TheoryData<string, string, string, string?, int> Malformed => new()
    {
        // name, method and path, body, content type, the status expected
        { "unknown charset", "POST /v1/payments", ValidCreate, "application/json; charset=bogus", 415 },
        { "unknown charset, no body", "POST /v1/payments/some-id:cancel", "", "application/json; charset=bogus", 415 },
        { "unknown charset on a GET", "GET /v1/payments", "", "application/json; charset=bogus", 415 },
        { "unknown charset, +json", "POST /v1/payments", ValidCreate, "application/ld+json; charset=bogus", 415 },
        { "empty charset", "POST /v1/payments", ValidCreate, "application/json; charset=", 415 },
        { "utf-7", "POST /v1/payments", ValidCreate, "application/json; charset=utf-7", 415 },
        { "unknown charset to the sandbox", "POST /sandbox/control/pay", "{}", "application/json; charset=bogus", 415 },
        { "empty body", "POST /v1/payments", "", "application/json", 400 },
        { "not JSON", "POST /v1/payments", "{", "application/json", 400 },
        { "an array", "POST /v1/payments", "[]", "application/json", 400 },
        { "null", "POST /v1/payments", "null", "application/json", 400 },
        { "a string for a number", "POST /v1/payments", """{"amount":{"units":"abc"}}""", "application/json", 400 },
        { "a number for a string", "POST /v1/payments", """{"requestId":5}""", "application/json", 400 },
        { "a number beyond int64", "POST /v1/payments", """{"amount":{"units":99999999999999999999999999}}""", "application/json", 400 },
        { "a number beyond double", "POST /v1/payments", """{"amount":{"units":1e400}}""", "application/json", 400 },
        { "nanos beyond int32", "POST /v1/payments", """{"amount":{"units":1,"nanos":99999999999}}""", "application/json", 400 },
        { "a duration beyond its range", "POST /v1/payments", """{"expiresIn":"99999999999999999999s"}""", "application/json", 400 },
        { "an unknown enum name", "POST /v1/payments", """{"qrImage":{"format":"NOPE"}}""", "application/json", 400 },
        { "2000 nested arrays", "POST /v1/payments", new string('[', 2000) + new string(']', 2000), "application/json", 400 },
        { "not a JSON content type", "POST /v1/payments", ValidCreate, "text/plain", 415 },
        { "no content type", "POST /v1/payments", ValidCreate, null, 415 },
        { "a timestamp beyond 9999", "GET /v1/payments?startCreateTime=10000-01-01T00:00:00Z", "", null, 400 },
        { "a page size beyond int32", "GET /v1/payments?pageSize=99999999999", "", null, 400 },
        { "an unknown state", "GET /v1/payments?states=NOPE", "", null, 400 },
        { "a version that is not a number", "GET /v1/payments/some-id:watch?afterVersion=abc", "", null, 400 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_header_or_body_is_4xx_with_a_status_body_never_5xx(string name, string request, string body, string? contentType, int expected)
    {
        var (method, path) = (request.Split(' ')[0], request.Split(' ')[1]);
        using var message = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body.Length > 0 || contentType is not null)
        {
            message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await _http.SendAsync(message, Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True((int)response.StatusCode == expected, name + ": " + (int)response.StatusCode + " " + text);
        var error = JsonDocument.Parse(text).RootElement;
        Assert.Equal(3, error.GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Array, error.GetProperty("details").ValueKind);
        Assert.DoesNotContain("bogus", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json; charset=UTF8")]
    [InlineData("application/json; charset=UTF-8")]
    public async Task Utf_8_under_any_spelling_is_read_and_answered_as_utf_8(string contentType)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(ValidCreate));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await _http.PostAsync(new Uri("/v1/payments", UriKind.Relative), content, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("utf-8", response.Content.Headers.ContentType!.CharSet);
    }

    private async Task<JsonElement> CreateAsync(string requestId, long riel = 5000, string terminal = "till-1")
    {
        using var response = await _http.PostAsJsonAsync(
            new Uri("/v1/payments", UriKind.Relative),
            new { requestId, terminalId = terminal, amount = new { currencyCode = "KHR", units = riel } },
            Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("payment");
    }

    private async Task<JsonElement> CancelAsync(string id)
    {
        using var response = await _http.PostAsync(new Uri("/v1/payments/" + id + ":cancel", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"), Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("payment");
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    /// <summary>The next message of a REST watch: one line of JSON, <c>{"payment": ...}</c>.</summary>
    private static async Task<JsonElement> NextLineAsync(StreamReader reader)
    {
        var line = await reader.ReadLineAsync(Ct).AsTask().WaitAsync(GatewayFactory.Timeout, Ct);
        Assert.False(string.IsNullOrEmpty(line), "the watch ended");
        return JsonDocument.Parse(line).RootElement.GetProperty("payment").Clone();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
