using System.Net;
using System.Text.Json;
using Bakong.OpenApi.Client;

namespace Bakong.OpenApi.Tests.Client;

public sealed class ListCheckTests
{
    private const string NotFoundSingle = """{ "data": null, "errorCode": 1, "responseCode": 1, "responseMessage": "Transaction could not be found. Please check and try again." }""";

    private static string Md5(int i) => i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Answers a list request with NOT_FOUND for every md5 it was sent.</summary>
    private static HttpResponseMessage AllNotFound(SeenRequest request)
    {
        var items = JsonSerializer.Deserialize<string[]>(request.Body)!
            .Select(m => $$"""{"md5":"{{m}}","status":"NOT_FOUND","message":"Transaction could not be found.","data":null}""");
        return StubHandler.Json($$"""{"responseCode":0,"responseMessage":"Getting transactions successfully.","errorCode":null,"data":[{{string.Join(',', items)}}]}""");
    }

    [Fact]
    public async Task Md5_list_posts_a_bare_array_and_reads_data_transaction_and_inline_items()
    {
        const string Body = """
            { "responseCode": 0, "responseMessage": "Getting transaction successfully.", "errorCode": null,
              "data": [
                { "md5": "0dbe08d3829a8b6b59844e51aa38a4e2", "status": "NOT_FOUND", "message": "Transaction could not be found.", "data": null },
                { "status": "SUCCESS", "message": "ok", "md5": "5154e4f795634ff1a0ae4b48e53a6d9c",
                  "data": { "hash": "9bc29426b5e55f171b0e137478d04eb8b8b3a757e0eb2040561ba4f9f052db95", "currency": "KHR", "amount": 4400, "toAccountId": "chanvuthy_leap3@aclb" } },
                { "md5": "7B0E5C36486D7155EB3EE94997FE9BFB", "status": "SUCCESS", "message": "ok", "extra": 1,
                  "transaction": { "hash": "8465d722d7d5065f2886f0a474a4d34dc6a7855355b611836f7b6111228893e9", "currency": "USD", "amount": 0.1 } },
                { "md5": "e12b3ecc4c066405ce05cd8cacab884c", "status": "SUCCESS", "hash": "f0ae142842181535e678900bc5be1c3bd48d567ced77410a169fb672792968c8", "currency": "USD", "amount": 2.5 },
                { "md5": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "status": "STATIC_QR", "message": "static" },
                { "md5": "ffffffffffffffffffffffffffffffff", "status": "SUCCESS", "message": "not asked for" }
              ] }
            """;
        var handler = new StubHandler(_ => StubHandler.Json(Body));
        using var harness = new ClientHarness(handler);
        string[] md5s =
        [
            "0dbe08d3829a8b6b59844e51aa38a4e2", "5154e4f795634ff1a0ae4b48e53a6d9c", "7b0e5c36486d7155eb3ee94997fe9bfb",
            "e12b3ecc4c066405ce05cd8cacab884c", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        ];

        var results = await harness.Client.CheckTransactionsByMd5Async(md5s, TestContext.Current.CancellationToken);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("/v1/check_transaction_by_md5_list", request.Path);
        Assert.Equal($"Bearer {ClientHarness.TokenValue}", request.Authorization);
        Assert.Equal(JsonSerializer.Serialize(md5s), request.Body);
        Assert.Equal("6 md5s", Assert.Single(harness.Audit.Records).Subject);

        Assert.Equal(6, results.Count);
        Assert.IsType<TransactionCheck.NotFound>(results[md5s[0]].Value);
        Assert.Equal(4400m, Assert.IsType<TransactionCheck.Paid>(results[md5s[1]].Value).Transaction.Amount);
        Assert.Equal(0.1m, Assert.IsType<TransactionCheck.Paid>(results[md5s[2]].Value).Transaction.Amount);
        Assert.Equal(2.5m, Assert.IsType<TransactionCheck.Paid>(results[md5s[3]].Value).Transaction.Amount);
        Assert.IsType<TransactionCheck.StaticQrUnsupported>(results[md5s[4]].Value);
        Assert.Equal(BakongFaultKind.Malformed, results[md5s[5]].Fault?.Kind);
        Assert.False(results.ContainsKey("ffffffffffffffffffffffffffffffff"));
    }

    [Fact]
    public async Task Hash_list_posts_a_bare_array_and_reads_failed_and_success_items()
    {
        var h1 = new string('1', 64);
        var h2 = new string('2', 64);
        var body = $$"""
            { "responseCode": 0, "responseMessage": "ok", "errorCode": null,
              "data": [ { "hash": "{{h1}}", "status": "FAILED", "message": "Transaction failed.", "data": null },
                        { "hash": "{{h2}}", "status": "SUCCESS", "message": "ok", "data": { "hash": "{{h2}}", "currency": "USD", "amount": 1 } } ] }
            """;
        var handler = new StubHandler(_ => StubHandler.Json(body));
        using var harness = new ClientHarness(handler);

        var results = await harness.Client.CheckTransactionsByHashAsync([h1, h2], TestContext.Current.CancellationToken);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("/v1/check_transaction_by_hash_list", request.Path);
        Assert.Equal($"""["{h1}","{h2}"]""", request.Body);
        Assert.Equal("2 hashes", Assert.Single(harness.Audit.Records).Subject);
        Assert.IsType<TransactionCheck.Failed>(results[h1].Value);
        Assert.Equal(h2, Assert.IsType<TransactionCheck.Paid>(results[h2].Value).Transaction.Hash);
    }

    [Fact]
    public async Task One_hundred_twenty_md5s_go_out_as_lists_of_50_50_and_20_and_merge()
    {
        var handler = new StubHandler(AllNotFound);
        using var harness = new ClientHarness(handler);
        var md5s = Enumerable.Range(0, 120).Select(Md5).ToList();

        var results = await harness.Client.CheckTransactionsByMd5Async(md5s.Concat(md5s.Take(10)), TestContext.Current.CancellationToken);

        Assert.Equal([50, 50, 20], handler.Requests.Select(r => JsonSerializer.Deserialize<string[]>(r.Body)!.Length));
        Assert.All(handler.Requests, r => Assert.Equal("/v1/check_transaction_by_md5_list", r.Path));
        Assert.Equal(["50 md5s", "50 md5s", "20 md5s"], harness.Audit.Records.Select(r => r.Subject));
        Assert.Equal(120, results.Count);
        Assert.All(md5s, m => Assert.IsType<TransactionCheck.NotFound>(results[m].Value));
    }

    [Fact]
    public async Task A_faulted_list_chunk_faults_only_its_own_items()
    {
        var calls = 0;
        var handler = new StubHandler(r => Interlocked.Increment(ref calls) == 2
            ? StubHandler.Json("""{"responseCode":1,"responseMessage":"Maximum 50 items allowed.","errorCode":5,"data":null}""")
            : AllNotFound(r));
        using var harness = new ClientHarness(handler);
        var md5s = Enumerable.Range(0, 60).Select(Md5).ToList();

        var results = await harness.Client.CheckTransactionsByMd5Async(md5s, TestContext.Current.CancellationToken);

        Assert.All(md5s.Take(50), m => Assert.IsType<TransactionCheck.NotFound>(results[m].Value));
        Assert.All(md5s.Skip(50), m => Assert.Equal(5, results[m].ErrorCode));
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    public async Task Refused_md5_list_falls_back_to_single_checks_and_remembers_until_the_fallback_expires(HttpStatusCode refusal)
    {
        var handler = new StubHandler(r => r.Path.EndsWith("_list", StringComparison.Ordinal)
            ? refusal == HttpStatusCode.Forbidden ? StubHandler.Html(refusal) : new HttpResponseMessage(refusal)
            : StubHandler.Json(NotFoundSingle));
        using var harness = new ClientHarness(handler, o => o.Md5ListFallbackDuration = TimeSpan.FromMinutes(30));
        var ct = TestContext.Current.CancellationToken;
        var batch = Enumerable.Range(0, 3).Select(Md5).ToList();

        var first = await harness.Client.CheckTransactionsByMd5Async(batch, ct);

        Assert.Equal(
            ["/v1/check_transaction_by_md5_list", "/v1/check_transaction_by_md5", "/v1/check_transaction_by_md5", "/v1/check_transaction_by_md5"],
            handler.Requests.Select(r => r.Path));
        Assert.All(batch, m => Assert.IsType<TransactionCheck.NotFound>(first[m].Value));
        Assert.Equal(batch.Order(), harness.Audit.Records.Skip(1).Select(r => r.Subject).Order());

        // Within the fallback period the list endpoint is not tried at all.
        handler.Requests.Clear();
        harness.Time.Advance(TimeSpan.FromMinutes(29));
        await harness.Client.CheckTransactionsByMd5Async(batch, ct);
        Assert.Equal(3, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal("/v1/check_transaction_by_md5", r.Path));

        // After it, the list endpoint gets another chance.
        handler.Requests.Clear();
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        await harness.Client.CheckTransactionsByMd5Async(batch, ct);
        Assert.Equal("/v1/check_transaction_by_md5_list", handler.Requests.First().Path);
    }

    [Fact]
    public async Task Geo_blocked_everywhere_is_reported_once_per_item_without_fifty_single_calls_or_a_fallback()
    {
        var handler = new StubHandler(_ => StubHandler.Html(HttpStatusCode.Forbidden));
        using var harness = new ClientHarness(handler);
        var batch = Enumerable.Range(0, 50).Select(Md5).ToList();

        var results = await harness.Client.CheckTransactionsByMd5Async(batch, TestContext.Current.CancellationToken);

        Assert.Equal(["/v1/check_transaction_by_md5_list", "/v1/check_transaction_by_md5"], handler.Requests.Select(r => r.Path));
        Assert.All(batch, m => Assert.Equal(BakongFaultKind.GeoBlocked, results[m].Fault?.Kind));
        Assert.False(harness.Fallback.IsActive);
    }
}
