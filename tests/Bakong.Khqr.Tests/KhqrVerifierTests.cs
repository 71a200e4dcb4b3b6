using Microsoft.Extensions.Time.Testing;

namespace Bakong.Khqr.Tests;

public sealed class KhqrVerifierTests
{
    private const string StaticSample = "00020101021129180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6009Siam Reap64280002km0108ចន ស្មីន0206សៀមរាប6304A8B1";

    // Dynamic, USD 100.50, created 1700000000000, expires 1700000300000 (the known dynamic sample of Vectors/README.md,
    // with the amount length corrected to 06: the sample as recorded says 05 and fails verify). Checked with the SDK's
    // verify.
    private const string DynamicSample = "00020101021229180014jonhsmith@nbcq5204599953038405406100.505802KH5910Jonh Smith6010Phnom Penh9934001317000000000000113170000030000063049D23";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(1700000100000));

    [Fact]
    public void Sdk_sample_is_valid()
    {
        Assert.True(Verify(StaticSample).IsValid);
        Assert.True(Verify(DynamicSample).IsValid);
    }

    [Fact]
    public void Lower_case_crc_is_accepted_as_the_sdk_accepts_it()
    {
        Assert.True(Verify(StaticSample[..^4] + "a8b1").IsValid);
    }

    [Fact]
    public void Wrong_crc_is_invalid_and_says_what_the_crc_should_be()
    {
        var verdict = Verify(StaticSample[..^4] + "A8B2");

        Assert.False(verdict.IsValid);
        Assert.Equal(KhqrErrorCode.KhqrInvalid, verdict.Error.Code);
        Assert.Contains("A8B1", verdict.Error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Dynamic_qr_past_its_expiration_is_error_46()
    {
        _time.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(1700000300001));

        var verdict = Verify(DynamicSample);

        Assert.Equal(KhqrErrorCode.KhqrExpired, verdict.Error?.Code);
    }

    [Fact]
    public void Old_format_dynamic_qr_without_expiration_is_error_45()
    {
        var verdict = Verify(WithCrc("00020101021229180014jonhsmith@nbcq5204599953038405406100.505802KH5910Jonh Smith6010Phnom Penh99170013170000000000063040000"));

        Assert.Equal(KhqrErrorCode.ExpirationTimestampRequired, verdict.Error?.Code);
    }

    [Fact]
    public void Missing_required_tag_names_the_tag()
    {
        // No merchant name (59).
        var verdict = Verify(WithCrc("00020101021129180014jonhsmith@nbcq5204599953031165802KH6009Siam Reap63040000"));

        Assert.Equal(KhqrErrorCode.MerchantNameRequired, verdict.Error?.Code);
        Assert.Equal("tag 59", verdict.Error?.Field);
    }

    [Fact]
    public void Fields_out_of_order_pass_like_in_the_sdk_unless_order_is_required()
    {
        // 58 before 53.
        var qr = WithCrc("00020101021129180014jonhsmith@nbcq520459995802KH5303116" + "5910Jonh Smith6009Siam Reap63040000");

        Assert.True(Verify(qr).IsValid);
        Assert.Equal(KhqrErrorCode.TagNotInOrder, new KhqrVerifier(_time).Verify(qr, requireTagOrder: true).Error?.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("6304A8B1")]
    [InlineData("garbage")]
    public void Garbage_is_invalid_without_throwing(string qr)
    {
        Assert.False(Verify(qr).IsValid);
    }

    [Fact]
    public void Sub_field_length_that_never_advances_is_invalid_where_the_sdk_loops_forever()
    {
        // Tag 62 holds "01xx": parseInt("xx") is NaN, so the SDK re-reads the same sub-field forever.
        var verdict = Verify(WithCrc("00020101021129180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6009Siam Reap620401xx63040000"));

        Assert.Equal(KhqrErrorCode.KhqrInvalid, verdict.Error?.Code);
        Assert.Equal("tag 62", verdict.Error?.Field);
    }

    internal static string WithCrc(string qrWithPlaceholderCrc)
    {
        var body = qrWithPlaceholderCrc[..^4];
        var crc = Hashing.Crc16.Compute(System.Text.Encoding.UTF8.GetBytes(body));
        return body + crc.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
    }

    private KhqrVerification Verify(string qr) => new KhqrVerifier(_time).Verify(qr);
}
