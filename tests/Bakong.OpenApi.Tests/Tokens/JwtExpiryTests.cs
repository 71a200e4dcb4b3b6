using Bakong.OpenApi.Tokens;

namespace Bakong.OpenApi.Tests.Tokens;

public sealed class JwtExpiryTests
{
    [Fact]
    public void The_sample_token_from_NBCs_document_decodes_to_its_exp_claim()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1625111548), JwtExpiry.Read(TestJwt.NbcDocumentSample));
    }

    [Fact]
    public void A_token_built_with_an_expiry_reads_back_that_expiry()
    {
        var expiresAt = new DateTimeOffset(2025, 9, 1, 12, 30, 0, TimeSpan.Zero);

        Assert.Equal(expiresAt, JwtExpiry.Read(TestJwt.Create(expiresAt)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("rbk_0123456789abcdef")]
    [InlineData("not.a.jwt")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJpYXQiOjE2MTcwNzYzNDh9.sig")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOiJzb29uIn0.sig")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.W10.sig")]
    public void A_value_that_is_not_a_JWT_with_a_numeric_exp_has_no_expiry(string? token)
    {
        Assert.Null(JwtExpiry.Read(token));
    }

    [Fact]
    public void An_exp_after_nested_claims_is_found()
    {
        // {"data":{"id":"x","exp":1},"exp":1700000000}: only the top-level exp counts.
        var payload = System.Buffers.Text.Base64Url.EncodeToString("""{"data":{"id":"x","exp":1},"exp":1700000000}"""u8);

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), JwtExpiry.Read("eyJhbGciOiJIUzI1NiJ9." + payload + ".sig"));
    }
}
