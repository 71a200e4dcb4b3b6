using System.Text.Json;
using Bakong.Khqr;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Cli.Tests.Khqr;

public sealed class VerifyAndDecodeTests
{
    private static readonly string s_qr = new KhqrGenerator(new FakeTimeProvider(Cli.NowInstant)).Generate(new KhqrRequest
    {
        BakongAccountId = "shop@aclb",
        MerchantName = "Sokha Coffee",
        Currency = KhqrCurrency.Usd,
        Amount = 12.50m,
        BillNumber = "INV-1",
        ExpirationTimestamp = Cli.Now + 300_000,
    }).Value!.Qr;

    [Fact]
    public async Task Verify_prints_valid_and_exits_0_for_a_generated_qr()
    {
        var run = await Cli.RunAsync("khqr", "verify", s_qr);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("valid\n", run.Output);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task Verify_prints_the_reason_and_exits_1_for_a_broken_crc()
    {
        var run = await Cli.RunAsync("khqr", "verify", s_qr[..^4] + "0000");

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.OutputLines);
        Assert.StartsWith("invalid: tag 63: KHQR provided is invalid (KHQR error 8): CRC mismatch", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_with_now_after_the_expiry_says_the_qr_has_expired()
    {
        var run = await Cli.RunAsync("khqr", "verify", s_qr, "--now", (Cli.Now + 600_000).ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("(KHQR error 46)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_without_a_qr_is_a_usage_error()
    {
        var run = await Cli.RunAsync("khqr", "verify");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("<qr>", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_prints_each_present_field_by_its_sdk_name_with_the_values_aligned()
    {
        var run = await Cli.RunAsync("khqr", "decode", s_qr);

        Assert.Equal(0, run.ExitCode);
        var lines = run.OutputLines;
        Assert.Contains("billNumber:              INV-1", lines);
        Assert.Contains("transactionAmount:       12.50", lines);
        Assert.Contains("merchantName:            Sokha Coffee", lines);
        Assert.DoesNotContain(lines, line => line.StartsWith("mobileNumber", StringComparison.Ordinal));
        var valueColumns = lines.Select(line => line.IndexOf(':', StringComparison.Ordinal) + 1 + line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].TakeWhile(c => c == ' ').Count());
        Assert.Single(valueColumns.Distinct());
        Assert.Equal("merchantType", lines[0][..lines[0].IndexOf(':', StringComparison.Ordinal)]);
    }

    [Fact]
    public async Task Decode_with_json_prints_the_sdk_object_on_one_line()
    {
        var run = await Cli.RunAsync("khqr", "decode", s_qr, "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Single(run.OutputLines);
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.Equal("shop@aclb", root.GetProperty("bakongAccountID").GetString());
        Assert.Equal("12", root.GetProperty("pointofInitiationMethod").GetString());
        Assert.Equal("840", root.GetProperty("transactionCurrency").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("mobileNumber").ValueKind);
    }
}
