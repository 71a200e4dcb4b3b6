using System.Net;
using System.Text.Json;
using Bakong.OpenApi.Client;

namespace Bakong.OpenApi.Tests.Client;

public sealed class TransactionCheckTests
{
    private const string Md5 = "d60f3db96913029a2af979a1662c1e72";

    // Reference §4.5, NBC document sample.
    private const string DocSuccess = """
        { "responseCode": 0, "responseMessage": "Getting transaction successfully.",
          "data": { "hash": "8465d722d7d5065f2886f0a474a4d34dc6a7855355b611836f7b6111228893e9",
                    "fromAccountId": "rieu_dhqj_1984@devb", "toAccountId": "bridge_account@devb",
                    "currency": "USD", "amount": 1.0, "description": "testing bakong generator" } }
        """;

    // Reference §4.5, the real production body, with data first, errorCode last and an unknown member.
    private const string ProductionSuccessReordered = """
        { "data": { "externalRef": "100FT35340355905", "instructionRef": null, "receiverBankAccount": null,
                    "receiverBank": null, "trackingStatus": null, "acknowledgedDateMs": 1756366777000,
                    "createdDateMs": 1756366775000, "description": null, "amount": 4400, "currency": "KHR",
                    "toAccountId": "chanvuthy_leap3@aclb", "fromAccountId": "abaakhppxxx@abaa",
                    "hash": "9bc29426b5e55f171b0e137478d04eb8b8b3a757e0eb2040561ba4f9f052db95",
                    "somethingNew": { "nested": [1, 2] } },
          "responseMessage": "Getting transaction successfully.", "futureField": true, "responseCode": 0, "errorCode": null }
        """;

    [Fact]
    public async Task Md5_check_posts_the_md5_with_the_bearer_token_and_reads_the_documented_sample()
    {
        var handler = new StubHandler(_ => StubHandler.Json(DocSuccess));
        using var harness = new ClientHarness(handler);

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/v1/check_transaction_by_md5", request.Path);
        Assert.Equal($"Bearer {ClientHarness.TokenValue}", request.Authorization);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal($$"""{"md5":"{{Md5}}"}""", request.Body);

        Assert.True(result.IsSuccess);
        var paid = Assert.IsType<TransactionCheck.Paid>(result.Value);
        Assert.Equal("8465d722d7d5065f2886f0a474a4d34dc6a7855355b611836f7b6111228893e9", paid.Transaction.Hash);
        Assert.Equal("rieu_dhqj_1984@devb", paid.Transaction.FromAccountId);
        Assert.Equal("bridge_account@devb", paid.Transaction.ToAccountId);
        Assert.Equal("USD", paid.Transaction.Currency);
        Assert.Equal(1.0m, paid.Transaction.Amount);
        Assert.Equal("testing bakong generator", paid.Transaction.Description);
        Assert.Null(paid.Transaction.CreatedDateMs);
        Assert.Equal("Getting transaction successfully.", result.Message);
    }

    [Fact]
    public async Task Reordered_production_body_with_unknown_members_yields_every_documented_field()
    {
        using var harness = new ClientHarness(new StubHandler(_ => StubHandler.Json(ProductionSuccessReordered)));

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        var t = Assert.IsType<TransactionCheck.Paid>(result.Value).Transaction;
        Assert.Equal(new BakongTransaction
        {
            Hash = "9bc29426b5e55f171b0e137478d04eb8b8b3a757e0eb2040561ba4f9f052db95",
            FromAccountId = "abaakhppxxx@abaa",
            ToAccountId = "chanvuthy_leap3@aclb",
            Currency = "KHR",
            Amount = 4400m,
            Description = null,
            CreatedDateMs = 1756366775000,
            AcknowledgedDateMs = 1756366777000,
            TrackingStatus = null,
            ReceiverBank = null,
            ReceiverBankAccount = null,
            InstructionRef = null,
            ExternalRef = "100FT35340355905",
        }, t);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1756366775000), t.CreatedAt);
    }

    [Fact]
    public async Task Amount_keeps_its_decimal_digits_exactly_even_when_sent_as_a_string()
    {
        var body = """{"responseCode":0,"responseMessage":"ok","errorCode":null,"data":{"hash":"ab","currency":"USD","amount":"100.10","createdDateMs":"1772125349000"}}""";
        using var harness = new ClientHarness(new StubHandler(_ => StubHandler.Json(body)));

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        var t = Assert.IsType<TransactionCheck.Paid>(result.Value).Transaction;
        Assert.Equal(100.10m, t.Amount);
        Assert.Equal("100.10", t.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1772125349000, t.CreatedDateMs);
    }

    [Fact]
    public async Task Not_found_answer_is_not_a_fault()
    {
        var body = """{ "data": null, "errorCode": 1, "responseCode": 1, "responseMessage": "Transaction could not be found. Please check and try again." }""";
        using var harness = new ClientHarness(new StubHandler(_ => StubHandler.Json(body)));

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.True(result.IsSuccess);
        Assert.Null(result.Fault);
        var notFound = Assert.IsType<TransactionCheck.NotFound>(result.Value);
        Assert.Equal("Transaction could not be found. Please check and try again.", notFound.Message);
        Assert.Single(harness.Audit.Records);
    }

    [Fact]
    public async Task Bare_http_404_on_a_single_check_is_not_found()
    {
        using var harness = new ClientHarness(new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.NotFound)));

        var result = await harness.Client.CheckTransactionByHashAsync(new string('a', 64), TestContext.Current.CancellationToken);

        Assert.IsType<TransactionCheck.NotFound>(result.Value);
    }

    [Theory]
    [InlineData("""{ "data": null, "errorCode": 3, "responseCode": 1, "responseMessage": "Transaction failed." }""")]
    [InlineData("""{ "data": null, "errorCode": 1, "responseCode": 1, "responseMessage": "Transaction failed." }""")]
    public async Task Failed_answer_is_failed_under_either_documented_error_code(string body)
    {
        using var harness = new ClientHarness(new StubHandler(_ => StubHandler.Json(body)));

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.Equal("Transaction failed.", Assert.IsType<TransactionCheck.Failed>(result.Value).Message);
    }

    [Fact]
    public async Task Static_qr_answer_says_static_qr_is_unsupported()
    {
        var body = """{ "responseCode": 1, "responseMessage": "Sorry, the system does not support static QR code.", "errorCode": 2, "data": null }""";
        using var harness = new ClientHarness(new StubHandler(_ => StubHandler.Json(body)));

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.IsType<TransactionCheck.StaticQrUnsupported>(result.Value);
    }

    [Fact]
    public async Task Other_bakong_error_codes_are_errors_with_code_and_message_not_faults()
    {
        var body = """{ "responseCode": 1, "responseMessage": "Missing required fields.", "errorCode": 5, "data": null }""";
        using var harness = new ClientHarness(new StubHandler(_ => StubHandler.Json(body, HttpStatusCode.BadRequest)));

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.False(result.IsSuccess);
        Assert.Null(result.Fault);
        Assert.Equal(5, result.ErrorCode);
        Assert.Equal("Bakong error 5: Missing required fields.", result.Failure);
        Assert.Single(harness.Audit.Records);
    }

    [Theory]
    [InlineData("""{"responseCode":0,"responseMessage":"ok","errorCode":null,"data":null}""")]
    [InlineData("""{"responseCode":0,"responseMessage":"ok","errorCode":null,"data":{"hash":"ab","currency":"USD"}}""")]
    [InlineData("""{"responseCode":0,"responseMessage":"ok","errorCode":null,"data":{"hash":"ab","currency":"USD","amount":"lots"}}""")]
    [InlineData("""{"ResponseCode":0,"data":{"hash":"ab","currency":"USD","amount":1}}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""{"responseCode":0,""")]
    public async Task Success_without_a_readable_transaction_is_malformed(string body)
    {
        using var harness = new ClientHarness(new StubHandler(_ => StubHandler.Json(body)));

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.Equal(BakongFaultKind.Malformed, result.Fault?.Kind);
        Assert.Single(harness.Audit.Records);
    }

    public static TheoryData<string, string, string> SingleCheckShapes => new()
    {
        { "hash", "/v1/check_transaction_by_hash", """{"hash":"dcd53430d3b3005d9cda36f1fe8dedc3714ccf18f886cf5d090d36fee67ef956"}""" },
        { "short", "/v1/check_transaction_by_short_hash", """{"hash":"8465d722","amount":1.50,"currency":"USD"}""" },
        { "instruction", "/v1/check_transaction_by_instruction_ref", """{"instructionRef":"00001234"}""" },
        { "external", "/v1/check_transaction_by_external_ref", """{"externalRef":"DEV123456ZTH"}""" },
    };

    [Theory]
    [MemberData(nameof(SingleCheckShapes))]
    public async Task Every_single_check_posts_its_documented_body_with_the_bearer_token(string kind, string path, string expectedBody)
    {
        var handler = new StubHandler(_ => StubHandler.Json(DocSuccess));
        using var harness = new ClientHarness(handler);
        var ct = TestContext.Current.CancellationToken;

        var result = kind switch
        {
            "hash" => await harness.Client.CheckTransactionByHashAsync("dcd53430d3b3005d9cda36f1fe8dedc3714ccf18f886cf5d090d36fee67ef956", ct),
            "short" => await harness.Client.CheckTransactionByShortHashAsync("8465d722", 1.50m, "USD", ct),
            "instruction" => await harness.Client.CheckTransactionByInstructionRefAsync("00001234", ct),
            _ => await harness.Client.CheckTransactionByExternalRefAsync("DEV123456ZTH", ct),
        };

        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal(path, request.Path);
        Assert.Equal($"Bearer {ClientHarness.TokenValue}", request.Authorization);
        Assert.Equal(expectedBody, request.Body);
        Assert.IsType<TransactionCheck.Paid>(result.Value);
        var record = Assert.Single(harness.Audit.Records);
        Assert.Equal(path, record.Endpoint);
        Assert.Equal(JsonDocument.Parse(expectedBody).RootElement.EnumerateObject().First().Value.GetString(), record.Subject);
    }

    [Fact]
    public async Task Audit_record_has_time_status_codes_message_latency_attempt_and_outcome()
    {
        var body = """{ "data": null, "errorCode": 1, "responseCode": 1, "responseMessage": "Transaction could not be found. Please check and try again." }""";
        ClientHarness? h = null;
        using var harness = h = new ClientHarness(new StubHandler((_, _) =>
        {
            h!.Time.Advance(TimeSpan.FromMilliseconds(180));
            return Task.FromResult(StubHandler.Json(body));
        }));
        var started = harness.Time.GetUtcNow();

        await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        var record = Assert.Single(harness.Audit.Records);
        Assert.Equal(started.AddMilliseconds(180), record.Time);
        Assert.Equal("/v1/check_transaction_by_md5", record.Endpoint);
        Assert.Equal(Md5, record.Subject);
        Assert.Equal(200, record.HttpStatus);
        Assert.Equal(1, record.ResponseCode);
        Assert.Equal(1, record.ErrorCode);
        Assert.Equal("Transaction could not be found. Please check and try again.", record.ResponseMessage);
        Assert.Equal(TimeSpan.FromMilliseconds(180), record.Latency);
        Assert.Equal(1, record.Attempt);
        Assert.Equal("BakongError", record.Outcome);
    }
}
