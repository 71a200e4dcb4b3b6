using System.Text.Json;
using Bakong.Khqr;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Cli.Tests.Khqr;

public sealed class GenerateCommandTests
{
    private const string NowArg = "1767225600000";

    // The benchmark's merchant USD dynamic QR with bill number, store and terminal label.
    private static readonly string[] s_merchantUsd =
    [
        "khqr", "generate", "--type", "merchant", "--account", "kiosk_shop@aclb", "--name", "Sokha Coffee", "--city", "Phnom Penh",
        "--merchant-id", "1234567890", "--bank", "ACLEDA Bank", "--currency", "USD", "--amount", "12.50",
        "--bill", "INV-2026-000123", "--store", "Riverside", "--terminal", "POS-01", "--expires-in", "5m", "--now", NowArg,
    ];

    private static KhqrCode ExpectedMerchantUsd()
    {
        var result = new KhqrGenerator(new FakeTimeProvider(Cli.NowInstant)).Generate(new KhqrRequest
        {
            Type = KhqrMerchantType.Merchant,
            BakongAccountId = "kiosk_shop@aclb",
            MerchantName = "Sokha Coffee",
            MerchantCity = "Phnom Penh",
            MerchantId = "1234567890",
            AcquiringBank = "ACLEDA Bank",
            Currency = KhqrCurrency.Usd,
            Amount = 12.50m,
            BillNumber = "INV-2026-000123",
            StoreLabel = "Riverside",
            TerminalLabel = "POS-01",
            ExpirationTimestamp = Cli.Now + 5 * 60 * 1000,
        });
        Assert.True(result.IsSuccess);
        return result.Value;
    }

    [Fact]
    public async Task Generate_prints_the_payload_and_md5_the_codec_makes_from_the_same_input()
    {
        var expected = ExpectedMerchantUsd();

        var run = await Cli.RunAsync([.. s_merchantUsd, "--no-qr"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal($"qr:  {expected.Qr}\nmd5: {expected.Md5}\n", run.Output);
        Assert.StartsWith("000201010212", expected.Qr, StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task Generate_draws_the_qr_code_after_the_payload_and_md5()
    {
        var expected = ExpectedMerchantUsd();

        var run = await Cli.RunAsync(s_merchantUsd);

        Assert.Equal(0, run.ExitCode);
        var header = $"qr:  {expected.Qr}\nmd5: {expected.Md5}\n\n";
        Assert.StartsWith(header, run.Output, StringComparison.Ordinal);
        Assert.Equal(TerminalQrRender(expected.Qr), run.Output[header.Length..]);
    }

    [Fact]
    public async Task Generate_with_json_prints_one_object_with_qr_and_md5()
    {
        var expected = ExpectedMerchantUsd();

        var run = await Cli.RunAsync([.. s_merchantUsd, "--json"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Single(run.OutputLines);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(expected.Qr, json.RootElement.GetProperty("qr").GetString());
        Assert.Equal(expected.Md5, json.RootElement.GetProperty("md5").GetString());
        Assert.Equal(2, json.RootElement.EnumerateObject().Count());
    }

    [Fact]
    public async Task Generate_with_a_too_long_name_exits_2_naming_the_flag()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", new string('x', 26));

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Output);
        var line = Assert.Single(run.ErrorLines);
        Assert.Equal("--name (merchantName): Merchant Name Length is invalid (KHQR error 7): 26 characters, at most 25", line);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1,5")]
    [InlineData("1e3")]
    [InlineData("12.5.0")]
    [InlineData(" 12")]
    public async Task Generate_with_an_amount_that_is_not_a_plain_number_exits_2_naming_the_flag_and_code_4(string amount)
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--amount", amount);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("--amount (amount): Amount is invalid (KHQR error 4): ", line, StringComparison.Ordinal);
        Assert.Contains($"'{amount}'", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_rejects_an_amount_decimal_cannot_hold_exactly_instead_of_rounding_it()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--currency", "USD",
            "--amount", "12.5000000000000000000000000001");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("--amount (amount): Amount is invalid (KHQR error 4)", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_with_three_decimals_exits_2_with_the_generators_reason()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--currency", "USD", "--amount", "12.345");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("--amount (amount): Amount is invalid (KHQR error 4): at most two decimals", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Generate_with_an_unknown_currency_exits_2_naming_the_flag_and_code_28()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--currency", "EUR");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("--currency (currency): Unsupported currency (KHQR error 28)", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("KHR", "116")]
    [InlineData("usd", "840")]
    [InlineData("116", "116")]
    [InlineData("840", "840")]
    public async Task Generate_accepts_the_currency_by_code_or_number(string currency, string tag53)
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--currency", currency, "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(tag53, KhqrDecoder.Decode(json.RootElement.GetProperty("qr").GetString()).TransactionCurrency);
    }

    [Fact]
    public async Task Generate_with_a_missing_merchant_id_names_the_flag_and_the_sdk_code()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--type", "merchant", "--account", "shop@aclb", "--name", "Sokha", "--bank", "ACLEDA");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("--merchant-id (merchantID): Merchant ID cannot be null or empty (KHQR error 30)", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Generate_without_the_required_flags_is_a_usage_error_with_exit_code_2()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--amount", "5");

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Collection(
            run.ErrorLines,
            line => Assert.Contains("--account", line, StringComparison.Ordinal),
            line => Assert.Contains("--name", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_option_is_a_usage_error_with_exit_code_2_and_no_stack_trace()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--colour", "red");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--colour", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Values_that_fail_to_parse_are_each_reported_on_a_line_of_their_own()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--type", "shop", "--currency", "EUR");

        Assert.Equal(2, run.ExitCode);
        Assert.Collection(
            run.ErrorLines,
            line => Assert.Equal("--type: 'shop' is not individual or merchant", line),
            line => Assert.StartsWith("--currency (currency): Unsupported currency (KHQR error 28)", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_value_next_to_a_missing_flag_gives_error_lines_and_no_stack_trace()
    {
        // The cross-flag checks run even when a value failed to parse; they must not trip over it.
        var run = await Cli.RunAsync("khqr", "generate", "--type", "shop", "--currency", "EUR", "--merchant-id", "1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(run.ErrorLines, line => line.Contains("--account", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_with_an_amount_and_no_expires_in_expires_five_minutes_after_now()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--amount", "5000", "--json", "--now", NowArg);

        var decoded = DecodeJsonQr(run);
        Assert.Equal((Cli.Now + 300_000).ToString(System.Globalization.CultureInfo.InvariantCulture), decoded.ExpirationTimestamp);
        Assert.Equal(NowArg, decoded.CreationTimestamp);
    }

    [Fact]
    public async Task Without_now_the_clock_is_read_once_so_the_expiry_is_exactly_the_duration_after_creation()
    {
        var clock = new FakeTimeProvider(Cli.NowInstant) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(7) };
        var output = new StringWriter();
        var context = new CliContext(clock, TextReader.Null, output, TextWriter.Null);

        var exitCode = await CliApp.RunAsync(
            ["khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--amount", "5000", "--expires-in", "2m", "--json"],
            context,
            TestContext.Current.CancellationToken);

        var decoded = DecodeJsonQr(new CliRun(exitCode, output.ToString(), ""));
        var created = long.Parse(decoded.CreationTimestamp!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(created + 120_000, long.Parse(decoded.ExpirationTimestamp!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("90", 90)]
    [InlineData("90s", 90)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    public async Task Expires_in_takes_seconds_or_an_s_m_h_suffix(string expiresIn, long seconds)
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--amount", "5000",
            "--expires-in", expiresIn, "--json", "--now", NowArg);

        var decoded = DecodeJsonQr(run);
        Assert.Equal(Cli.Now + seconds * 1000, long.Parse(decoded.ExpirationTimestamp!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("5x")]
    [InlineData("0")]
    [InlineData("m")]
    [InlineData("1.5m")]
    public async Task A_bad_expires_in_exits_2_naming_the_flag(string expiresIn)
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--amount", "5000", "--expires-in", expiresIn);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("--expires-in: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expires_in_without_an_amount_is_a_usage_error()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--expires-in", "5m");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--amount", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_merchant_id_without_type_merchant_is_a_usage_error_not_silently_dropped()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--merchant-id", "123");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--type merchant", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_amount_the_qr_is_static_and_has_no_timestamps()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--json");

        var decoded = DecodeJsonQr(run);
        Assert.Equal("11", decoded.PointOfInitiationMethod);
        Assert.Null(decoded.ExpirationTimestamp);
    }

    [Fact]
    public async Task Every_optional_flag_lands_in_its_field()
    {
        var run = await Cli.RunAsync(
            "khqr", "generate", "--account", "shop@aclb", "--name", "Sokha", "--city", "Siem Reap", "--account-info", "85512345678",
            "--bank", "ACLEDA", "--mobile", "85512345678", "--purpose", "Coffee", "--language", "km", "--alt-name", "សុខា",
            "--alt-city", "សៀមរាប", "--upi", "1234567890123456", "--mcc", "5814", "--json");

        var decoded = DecodeJsonQr(run);
        Assert.Equal("29", decoded.MerchantType);
        Assert.Equal("Siem Reap", decoded.MerchantCity);
        Assert.Equal("85512345678", decoded.AccountInformation);
        Assert.Equal("ACLEDA", decoded.AcquiringBank);
        Assert.Equal("85512345678", decoded.MobileNumber);
        Assert.Equal("Coffee", decoded.PurposeOfTransaction);
        Assert.Equal("km", decoded.LanguagePreference);
        Assert.Equal("សុខា", decoded.MerchantNameAlternateLanguage);
        Assert.Equal("សៀមរាប", decoded.MerchantCityAlternateLanguage);
        Assert.Equal("1234567890123456", decoded.UnionPayMerchant);
        Assert.Equal("5814", decoded.MerchantCategoryCode);
    }

    private static KhqrDecoded DecodeJsonQr(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        return KhqrDecoder.Decode(json.RootElement.GetProperty("qr").GetString());
    }

    private static string TerminalQrRender(string qr) => Bakong.Cli.Khqr.TerminalQr.Render(qr);
}
