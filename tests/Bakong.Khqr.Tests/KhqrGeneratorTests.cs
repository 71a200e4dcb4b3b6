using Microsoft.Extensions.Time.Testing;

namespace Bakong.Khqr.Tests;

public sealed class KhqrGeneratorTests
{
    // 2026-01-01T00:00:00Z
    private const long Now = 1767225600000;

    private readonly KhqrGenerator _generator = new(new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Now)));

    [Fact]
    public void Individual_static_riel_qr_with_khmer_alternate_language_matches_the_sdk_sample()
    {
        var code = Generate(new KhqrRequest
        {
            BakongAccountId = "jonhsmith@nbcq",
            MerchantName = "Jonh Smith",
            MerchantCity = "Siam Reap",
            LanguagePreference = "km",
            MerchantNameAlternateLanguage = "ចន ស្មីន",
            MerchantCityAlternateLanguage = "សៀមរាប",
        });

        Assert.Equal("00020101021129180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6009Siam Reap64280002km0108ចន ស្មីន0206សៀមរាប6304A8B1", code.Qr);
        Assert.Equal("95863987758c3bfb7fd45f729d45ea3e", code.Md5);
    }

    [Fact]
    public void Merchant_static_dollar_qr_with_every_additional_field_matches_the_sdk_sample()
    {
        var code = Generate(new KhqrRequest
        {
            Type = KhqrMerchantType.Merchant,
            BakongAccountId = "jonhsmith@devb",
            MerchantName = "Jonh Smith",
            MerchantCity = "Phnom Penh",
            MerchantId = "123456",
            AcquiringBank = "Dev Bank",
            Currency = KhqrCurrency.Usd,
            BillNumber = "INV-2021-07-65822",
            MobileNumber = "85512345678",
            StoreLabel = "BKK-1",
            TerminalLabel = "012345",
            PurposeOfTransaction = "Testing",
        });

        Assert.Equal("00020101021130400014jonhsmith@devb01061234560208Dev Bank5204599953038405802KH5910Jonh Smith6010Phnom Penh62660117INV-2021-07-658220211855123456780305BKK-107060123450807Testing63042417", code.Qr);
        Assert.Equal("4ca485e938198aa93adb2f4ab654eef5", code.Md5);
    }

    [Fact]
    public void Dynamic_qr_carries_the_amount_and_creation_and_expiration_timestamps()
    {
        var code = Generate(new KhqrRequest
        {
            BakongAccountId = "jonhsmith@nbcq",
            MerchantName = "Jonh Smith",
            Currency = KhqrCurrency.Usd,
            Amount = 100.5m,
            ExpirationTimestamp = Now + 300_000,
        });

        Assert.Contains("5406100.50", code.Qr, StringComparison.Ordinal);
        Assert.Contains("010212", code.Qr, StringComparison.Ordinal);
        Assert.Contains($"99340013{Now}0113{Now + 300_000}6304", code.Qr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KhqrCurrency.Usd, "1", "1")]
    [InlineData(KhqrCurrency.Usd, "1.5", "1.50")]
    [InlineData(KhqrCurrency.Usd, "1.50", "1.50")]
    [InlineData(KhqrCurrency.Usd, "0.01", "0.01")]
    [InlineData(KhqrCurrency.Usd, "1.000", "1")]
    [InlineData(KhqrCurrency.Khr, "100.0", "100")]
    [InlineData(KhqrCurrency.Khr, "9999999999999", "9999999999999")]
    public void Amount_is_written_the_way_the_sdk_writes_it(KhqrCurrency currency, string amount, string written)
    {
        var code = Generate(Dynamic(currency, decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Contains("54" + written.Length.ToString("00", System.Globalization.CultureInfo.InvariantCulture) + written + "5802KH", code.Qr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KhqrCurrency.Khr, "100.5")]
    [InlineData(KhqrCurrency.Usd, "1.555")]
    [InlineData(KhqrCurrency.Usd, "-1")]
    [InlineData(KhqrCurrency.Khr, "12345678901234")]
    [InlineData(KhqrCurrency.Usd, "12345678901.12")]
    public void Amount_the_sdk_refuses_is_error_4_naming_the_amount(KhqrCurrency currency, string amount)
    {
        var error = Fail(Dynamic(currency, decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(KhqrErrorCode.TransactionAmountInvalid, error.Code);
        Assert.Equal("amount", error.Field);
    }

    [Fact]
    public void Zero_amount_makes_a_static_qr_without_timestamps()
    {
        var code = Generate(new KhqrRequest { BakongAccountId = "a@b", MerchantName = "Shop", Amount = 0m });

        Assert.StartsWith("000201010211", code.Qr, StringComparison.Ordinal);
        Assert.DoesNotContain("9934", code.Qr, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_come_in_the_sdk_order_so_the_first_fault_named_is_the_same()
    {
        var error = Fail(new KhqrRequest { BakongAccountId = "no-at-sign", MerchantName = new string('x', 26) });

        Assert.Equal(KhqrErrorCode.BakongAccountIdInvalid, error.Code);
    }

    [Fact]
    public void Too_long_field_names_the_field_and_its_limit()
    {
        var error = Fail(new KhqrRequest { BakongAccountId = "a@b", MerchantName = new string('x', 26) });

        Assert.Equal(KhqrErrorCode.MerchantNameLengthInvalid, error.Code);
        Assert.Equal("merchantName", error.Field);
        Assert.Equal("merchantName: Merchant Name Length is invalid (KHQR error 7): 26 characters, at most 25", error.ToString());
    }

    [Fact]
    public void Additional_data_longer_than_99_characters_is_rejected_where_the_sdk_emits_an_invalid_qr()
    {
        var error = Fail(new KhqrRequest
        {
            BakongAccountId = "a@b",
            MerchantName = "Shop",
            BillNumber = new string('1', 25),
            MobileNumber = new string('2', 25),
            StoreLabel = new string('3', 25),
            TerminalLabel = new string('4', 25),
        });

        Assert.Equal(KhqrErrorCode.KhqrInvalid, error.Code);
        Assert.Equal("tag 62", error.Field);
    }

    [Fact]
    public void Alternate_language_name_without_a_language_preference_is_error_37_not_the_sdk_crash()
    {
        var error = Fail(new KhqrRequest { BakongAccountId = "a@b", MerchantName = "Shop", MerchantNameAlternateLanguage = "ហាង" });

        Assert.Equal(KhqrErrorCode.LanguagePreferenceRequired, error.Code);
    }

    [Theory]
    [InlineData(null, KhqrErrorCode.ExpirationTimestampRequired)]
    [InlineData(1767225600L, KhqrErrorCode.ExpirationTimestampLengthInvalid)]
    [InlineData(Now - 1, KhqrErrorCode.ExpirationTimestampInThePast)]
    public void Dynamic_qr_needs_a_13_digit_expiration_not_in_the_past(long? expiration, KhqrErrorCode code)
    {
        var error = Fail(Dynamic(KhqrCurrency.Usd, 1m) with { ExpirationTimestamp = expiration });

        Assert.Equal(code, error.Code);
    }

    [Fact]
    public void Generated_qr_verifies_and_decodes_back_to_its_fields()
    {
        var request = Dynamic(KhqrCurrency.Usd, 12.5m) with
        {
            Type = KhqrMerchantType.Merchant,
            MerchantId = "1234567890",
            AcquiringBank = "ACLEDA Bank",
            BillNumber = "INV-2026-000123",
            StoreLabel = "Riverside",
            TerminalLabel = "POS-01",
        };
        var code = Generate(request);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Now));

        Assert.True(new KhqrVerifier(time).Verify(code.Qr, requireTagOrder: true).IsValid);
        var decoded = KhqrDecoder.Decode(code.Qr);
        Assert.Equal("30", decoded.MerchantType);
        Assert.Equal("1234567890", decoded.MerchantID);
        Assert.Equal("12.50", decoded.TransactionAmount);
        Assert.Equal("840", decoded.TransactionCurrency);
        Assert.Equal("INV-2026-000123", decoded.BillNumber);
        Assert.Equal((Now + 300_000).ToString(System.Globalization.CultureInfo.InvariantCulture), decoded.ExpirationTimestamp);
    }

    [Fact]
    public void Generation_allocates_only_the_payload_the_md5_and_the_result()
    {
        var request = Dynamic(KhqrCurrency.Usd, 12.5m) with { BillNumber = "INV-2026-000123", StoreLabel = "Riverside", TerminalLabel = "POS-01" };
        var warm = Generate(request);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var code = _generator.Generate(request).Value!;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // A string is 22 bytes + 2 per char, rounded up to 8; the KhqrCode object is 32 bytes.
        static long StringSize(string s) => (22 + (2 * s.Length) + 7) / 8 * 8;
        Assert.Equal(warm.Qr, code.Qr);
        Assert.Equal(StringSize(code.Qr) + StringSize(code.Md5) + 32, allocated);
    }

    private static KhqrRequest Dynamic(KhqrCurrency currency, decimal amount) => new()
    {
        BakongAccountId = "jonhsmith@nbcq",
        MerchantName = "Jonh Smith",
        Currency = currency,
        Amount = amount,
        ExpirationTimestamp = Now + 300_000,
    };

    private KhqrCode Generate(KhqrRequest request)
    {
        var result = _generator.Generate(request);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private KhqrError Fail(KhqrRequest request)
    {
        var result = _generator.Generate(request);
        Assert.False(result.IsSuccess, "expected an error, got " + result.Value?.Qr);
        return result.Error;
    }
}
