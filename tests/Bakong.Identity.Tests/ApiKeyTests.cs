namespace Bakong.Identity.Tests;

public sealed class ApiKeyTests
{
    [Fact]
    public void A_new_key_names_its_client_and_carries_a_256_bit_secret()
    {
        var id = ApiKey.NewClientId();
        var (key, hash) = ApiKey.New(id);

        Assert.StartsWith("bk_" + id + "_", key, StringComparison.Ordinal);
        Assert.Equal(ApiKey.Length, key.Length);
        Assert.True(ApiKey.TryParse(key, out var parsedId, out var secret));
        Assert.Equal(id, parsedId);
        Assert.Equal(32, Convert.FromBase64String(secret.Replace('-', '+').Replace('_', '/') + "=").Length);
        Assert.Equal(32, hash.Length);
        Assert.True(ApiKey.Matches(secret, hash));
    }

    [Fact]
    public void Two_keys_never_share_a_secret()
    {
        var keys = Enumerable.Range(0, 1000).Select(_ => ApiKey.New("abcdefghijkm").Key).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(1000, keys.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer bk_abcdefghijkm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("bk_abcdefghijkm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("bk_abcdefghijkm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("bk_ABCDEFGHIJKM_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("xx_abcdefghijkm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("bk_abcdefghijkmnAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("bk_abcdefghijkm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("bk_abcdefghijkm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!")]
    public void Anything_not_of_the_key_form_does_not_parse(string? key)
    {
        Assert.False(ApiKey.TryParse(key, out _, out _));
    }

    [Fact]
    public void A_secret_does_not_match_another_secrets_hash()
    {
        var (key, _) = ApiKey.New("abcdefghijkm");
        var (_, otherHash) = ApiKey.New("abcdefghijkm");
        Assert.True(ApiKey.TryParse(key, out _, out var secret));

        Assert.False(ApiKey.Matches(secret, otherHash));
    }
}
