using System.Buffers.Text;
using System.Net;
using System.Text.Json;

namespace Bakong.Sandbox.Tests;

public sealed class TokenTests
{
    private const string UnauthorizedBody =
        """{"responseCode":1,"responseMessage":"Unauthorized, not yet requested for token or code invalid","errorCode":6,"data":null}""";

    private static readonly object s_anyMd5 = new { md5 = "0dbe08d3829a8b6b59844e51aa38a4e2" };

    [Fact]
    public async Task Registration_mails_a_20_character_code_that_verify_exchanges_for_a_working_token()
    {
        await using var sandbox = await SandboxHarness.StartAsync();

        var requested = await sandbox.BakongAsync("request_token", new { email = "dev@shop.kh", organization = "Shop", project = "Kiosk" });
        Assert.Equal(HttpStatusCode.OK, requested.Status);
        Assert.Equal("""{"responseCode":0,"responseMessage":"Email has been sent","errorCode":null,"data":null}""", requested.Body);

        var (_, mailbox) = await sandbox.SendAsync(HttpMethod.Get, "control/mailbox?email=dev@shop.kh");
        var code = SandboxHarness.Json(mailbox)[0].GetProperty("code").GetString()!;
        Assert.Equal(20, code.Length);

        var verified = await sandbox.BakongAsync("verify", new { code });
        Assert.Equal(HttpStatusCode.OK, verified.Status);
        Assert.Equal(0, verified.ResponseCode);
        Assert.Equal("Token has been issued", verified.Json.GetProperty("responseMessage").GetString());
        var token = verified.Data.GetProperty("token").GetString()!;

        var check = await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token);
        Assert.Equal(HttpStatusCode.OK, check.Status);
        Assert.Equal(1, check.ErrorCode);

        var (_, after) = await sandbox.SendAsync(HttpMethod.Get, "control/mailbox?email=dev@shop.kh");
        Assert.Equal(token, SandboxHarness.Json(after)[1].GetProperty("token").GetString());
    }

    [Fact]
    public async Task A_verification_code_works_once_and_an_unknown_one_is_unauthorized()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        await sandbox.BakongAsync("request_token", new { email = "dev@shop.kh", organization = "Shop", project = "Kiosk" });
        var code = sandbox.State.Mailbox("dev@shop.kh")[0].Code!;

        Assert.Equal(HttpStatusCode.OK, (await sandbox.BakongAsync("verify", new { code })).Status);
        var again = await sandbox.BakongAsync("verify", new { code });

        Assert.Equal(HttpStatusCode.Unauthorized, again.Status);
        Assert.Equal(UnauthorizedBody, again.Body);
    }

    [Fact]
    public async Task Request_token_for_a_verified_email_answers_error_8_and_missing_fields_error_5()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        await sandbox.TokenAsync("dev@shop.kh");

        var registered = await sandbox.BakongAsync("request_token", new { email = "dev@shop.kh", organization = "Shop", project = "Kiosk" });
        var missing = await sandbox.BakongAsync("request_token", new { email = "other@shop.kh" });

        Assert.Equal((HttpStatusCode.OK, 8), (registered.Status, registered.ErrorCode));
        Assert.Equal((HttpStatusCode.BadRequest, 5), (missing.Status, missing.ErrorCode));
    }

    [Fact]
    public async Task Renew_token_issues_a_new_token_for_a_registered_email_and_error_10_for_an_unknown_one()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var first = await sandbox.TokenAsync("dev@shop.kh");
        sandbox.Time.Advance(TimeSpan.FromDays(1));

        var renewed = await sandbox.BakongAsync("renew_token", new { email = "dev@shop.kh" });
        var unknown = await sandbox.BakongAsync("renew_token", new { email = "nobody@shop.kh" });

        Assert.Equal(HttpStatusCode.OK, renewed.Status);
        Assert.Equal("Token has been issued", renewed.Json.GetProperty("responseMessage").GetString());
        var second = renewed.Data.GetProperty("token").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.OK, (await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, second)).Status);
        Assert.Equal("""{"responseCode":1,"responseMessage":"Not registered yet","errorCode":10,"data":null}""", unknown.Body);
    }

    [Fact]
    public async Task Tokens_are_hs256_jwts_shaped_like_bakongs_with_a_90_day_life()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();

        var parts = token.Split('.');
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));

        Assert.Equal("HS256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal(16, payload.RootElement.GetProperty("data").GetProperty("id").GetString()!.Length);
        var iat = payload.RootElement.GetProperty("iat").GetInt64();
        Assert.Equal(sandbox.Time.GetUtcNow().ToUnixTimeSeconds(), iat);
        Assert.Equal(TimeSpan.FromDays(90).TotalSeconds, payload.RootElement.GetProperty("exp").GetInt64() - iat);
    }

    [Fact]
    public async Task A_check_without_a_token_answers_401_with_the_real_body()
    {
        await using var sandbox = await SandboxHarness.StartAsync();

        var answer = await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5);

        Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
        Assert.Equal("application/json", answer.MediaType);
        Assert.Equal(UnauthorizedBody, answer.Body);
    }

    [Fact]
    public async Task A_token_works_until_its_expiry_on_the_clock_and_is_refused_from_then_on()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();

        sandbox.Time.Advance(TimeSpan.FromDays(90) - TimeSpan.FromSeconds(1));
        var before = await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token);
        sandbox.Time.Advance(TimeSpan.FromSeconds(1));
        var after = await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token);

        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
        Assert.Equal(UnauthorizedBody, after.Body);
    }

    [Fact]
    public async Task The_token_lifetime_is_configurable_and_overridable_per_token()
    {
        await using var sandbox = await SandboxHarness.StartAsync(o => o.TokenLifetime = TimeSpan.FromDays(93));

        var (_, configured) = await sandbox.SendAsync(HttpMethod.Post, "control/tokens", new { });
        var (_, shortLived) = await sandbox.SendAsync(HttpMethod.Post, "control/tokens", new { lifetimeSeconds = 60 });

        var issued = SandboxHarness.Json(configured);
        Assert.Equal(TimeSpan.FromDays(93).TotalMilliseconds, issued.GetProperty("expiresAtMs").GetInt64() - issued.GetProperty("issuedAtMs").GetInt64());
        var token = SandboxHarness.Json(shortLived).GetProperty("token").GetString();
        sandbox.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.BakongAsync("check_transaction_by_md5", s_anyMd5, token)).Status);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJkYXRhIjp7ImlkIjoiMTIzIn19.c2lnbmF0dXJl")]
    public async Task A_garbage_token_answers_401_with_the_real_body(string token)
    {
        await using var sandbox = await SandboxHarness.StartAsync();

        var answer = await sandbox.BakongAsync("check_transaction_by_hash", new { hash = "00" }, token);

        Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
        Assert.Equal(UnauthorizedBody, answer.Body);
    }

    [Fact]
    public async Task A_token_from_another_sandbox_is_refused()
    {
        await using var first = await SandboxHarness.StartAsync();
        await using var second = await SandboxHarness.StartAsync();
        var foreign = await first.TokenAsync();

        var answer = await second.BakongAsync("check_transaction_by_md5", s_anyMd5, foreign);

        Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
    }
}
