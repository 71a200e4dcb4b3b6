using System.Net;
using Bakong.OpenApi.Client;

namespace Bakong.OpenApi.Tests.Client;

public sealed class TokenRenewalTests
{
    private const string Md5 = "d60f3db96913029a2af979a1662c1e72";
    private const string Unauthorized = """{"responseCode":1,"responseMessage":"Unauthorized, not yet requested for token or code invalid","errorCode":6,"data":null}""";
    private const string NotFound = """{ "data": null, "errorCode": 1, "responseCode": 1, "responseMessage": "Transaction could not be found. Please check and try again." }""";

    private static StubHandler AcceptOnly(string token) => new(r => r.Authorization == $"Bearer {token}"
        ? StubHandler.Json(NotFound)
        : StubHandler.Json(Unauthorized, HttpStatusCode.Unauthorized));

    [Fact]
    public async Task A_401_renews_the_token_once_and_retries_once_with_the_renewed_token()
    {
        var handler = AcceptOnly(ClientHarness.RenewedTokenValue);
        using var harness = new ClientHarness(handler);

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.IsType<TransactionCheck.NotFound>(result.Value);
        Assert.Equal(1, harness.Tokens.Renewals);
        Assert.Equal(ClientHarness.TokenValue, Assert.Single(harness.Tokens.Rejected).Value);
        Assert.Equal(
            [$"Bearer {ClientHarness.TokenValue}", $"Bearer {ClientHarness.RenewedTokenValue}"],
            handler.Requests.Select(r => r.Authorization));
        Assert.Equal([(1, 401, "Unauthorized"), (2, 200, "BakongError")],
            harness.Audit.Records.Select(r => (r.Attempt, r.HttpStatus ?? 0, r.Outcome)));
    }

    [Fact]
    public async Task A_second_401_after_renewal_is_an_unauthorized_fault_without_another_renewal()
    {
        var handler = AcceptOnly("nobody");
        using var harness = new ClientHarness(handler);

        var result = await harness.Client.CheckTransactionByMd5Async(Md5, TestContext.Current.CancellationToken);

        Assert.Equal(BakongFaultKind.Unauthorized, result.Fault?.Kind);
        Assert.Equal(401, result.Fault?.HttpStatus);
        Assert.Equal(1, harness.Tokens.Renewals);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task When_renewal_is_impossible_the_first_401_is_the_answer()
    {
        var handler = AcceptOnly("nobody");
        using var harness = new ClientHarness(handler, tokens: new FakeTokenSource(new(ClientHarness.TokenValue, null), null));

        var result = await harness.Client.CheckTransactionsByHashAsync(["abc"], TestContext.Current.CancellationToken);

        Assert.Equal(BakongFaultKind.Unauthorized, result["abc"].Fault?.Kind);
        Assert.Single(handler.Requests);
        Assert.Equal(1, harness.Tokens.Renewals);
    }

    [Fact]
    public async Task Neither_the_audit_nor_the_logs_ever_contain_the_token()
    {
        var calls = 0;
        var handler = new StubHandler(r => Interlocked.Increment(ref calls) switch
        {
            1 => StubHandler.Json(Unauthorized, HttpStatusCode.Unauthorized),
            2 => new HttpResponseMessage(HttpStatusCode.InternalServerError),
            3 => StubHandler.Html(HttpStatusCode.Forbidden),
            _ => StubHandler.Json(Unauthorized, HttpStatusCode.Unauthorized),
        });
        using var harness = new ClientHarness(handler, o => o.RetryCount = 1);
        var ct = TestContext.Current.CancellationToken;

        await harness.Client.CheckTransactionByMd5Async(Md5, ct);
        await harness.Client.CheckTransactionsByMd5Async([Md5, "0dbe08d3829a8b6b59844e51aa38a4e2"], ct);
        await harness.Client.CheckBakongAccountAsync("user@bank", ct);
        await harness.Client.GenerateDeeplinkAsync("000201", null, ct);

        Assert.NotEmpty(harness.Audit.Records);
        Assert.Contains(handler.Requests, r => r.Authorization?.Contains(ClientHarness.TokenValue, StringComparison.Ordinal) == true);
        foreach (var secret in new[] { ClientHarness.TokenValue, ClientHarness.RenewedTokenValue, "SIGNATURE" })
        {
            Assert.All(harness.Audit.Records, r => Assert.DoesNotContain(secret, r.ToString()));
            var logs = harness.Logger.Collector.GetSnapshot();
            Assert.NotEmpty(logs);
            Assert.All(logs, l =>
            {
                Assert.DoesNotContain(secret, l.Message);
                Assert.All(l.StructuredState ?? [], kv => Assert.DoesNotContain(secret, kv.Value ?? ""));
            });
        }
    }
}
