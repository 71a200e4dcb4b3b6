using System.Security.Cryptography;
using System.Text;
using Bakong.Payments.Webhooks;

namespace Bakong.Payments.Tests.Webhooks;

public sealed class WebhookSignatureTests
{
    private const string Secret = "whsec_unit_0123456789abcdefghijklmnopqrstuv";
    private static readonly DateTimeOffset s_now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly byte[] s_body = Encoding.UTF8.GetBytes("""{"id":"evt_1","type":"payment.paid"}""");

    [Fact]
    public void The_header_is_t_and_v1_hex_hmac_of_timestamp_dot_body()
    {
        var header = WebhookSignature.Create(s_body, Secret, s_now);

        var t = s_now.ToUnixTimeSeconds();
        byte[] signed = [.. Encoding.UTF8.GetBytes(t + "."), .. s_body];
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), signed));
        Assert.Equal($"t={t},v1={expected}", header);
    }

    [Fact]
    public void A_signature_verifies_with_the_secret_within_the_tolerance()
    {
        var header = WebhookSignature.Create(s_body, Secret, s_now);

        Assert.True(WebhookSignature.Verify(header, s_body, Secret, s_now, WebhookSignature.DefaultTolerance));
        Assert.True(WebhookSignature.Verify(header, s_body, Secret, s_now.AddMinutes(5), WebhookSignature.DefaultTolerance));
        Assert.True(WebhookSignature.Verify(header, s_body, Secret, s_now.AddMinutes(-5), WebhookSignature.DefaultTolerance));
    }

    [Fact]
    public void A_wrong_secret_fails()
    {
        var header = WebhookSignature.Create(s_body, Secret, s_now);

        Assert.False(WebhookSignature.Verify(header, s_body, Secret + "x", s_now, WebhookSignature.DefaultTolerance));
    }

    [Fact]
    public void A_tampered_body_fails()
    {
        var header = WebhookSignature.Create(s_body, Secret, s_now);
        var tampered = (byte[])s_body.Clone();
        tampered[^3] ^= 1;

        Assert.False(WebhookSignature.Verify(header, tampered, Secret, s_now, WebhookSignature.DefaultTolerance));
    }

    [Fact]
    public void An_old_or_future_timestamp_fails_even_with_a_valid_mac()
    {
        var header = WebhookSignature.Create(s_body, Secret, s_now);

        Assert.False(WebhookSignature.Verify(header, s_body, Secret, s_now.AddMinutes(5).AddSeconds(1), WebhookSignature.DefaultTolerance));
        Assert.False(WebhookSignature.Verify(header, s_body, Secret, s_now.AddMinutes(-6), WebhookSignature.DefaultTolerance));
    }

    [Fact]
    public void A_replayed_signature_with_a_new_timestamp_fails()
    {
        var header = WebhookSignature.Create(s_body, Secret, s_now);
        var later = s_now.AddHours(1);
        var replay = "t=" + later.ToUnixTimeSeconds() + "," + header.Split(',')[1];

        Assert.False(WebhookSignature.Verify(replay, s_body, Secret, later, WebhookSignature.DefaultTolerance));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("t=1772352000")]
    [InlineData("v1=00")]
    [InlineData("t=abc,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=1772352000,v1=zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=1772352000,t=1772352000,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    public void A_malformed_header_fails_without_throwing(string? header) =>
        Assert.False(WebhookSignature.Verify(header, s_body, Secret, s_now, WebhookSignature.DefaultTolerance));

    [Fact]
    public void Any_one_of_several_v1_values_may_match_for_secret_rotation()
    {
        var header = WebhookSignature.Create(s_body, Secret, s_now);
        var old = WebhookSignature.Create(s_body, "whsec_old_secret_0123456789abcdefghijkl", s_now).Split(',')[1];

        Assert.True(WebhookSignature.Verify(header + "," + old, s_body, Secret, s_now, WebhookSignature.DefaultTolerance));
        Assert.True(WebhookSignature.Verify(header.Split(',')[0] + "," + old + "," + header.Split(',')[1], s_body, Secret, s_now, WebhookSignature.DefaultTolerance));
    }
}
