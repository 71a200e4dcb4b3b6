using System.Text.Json;

namespace Bakong.Cli.Tests.Khqr;

public sealed class BatchModeTests
{
    [Fact]
    public async Task Jsonl_generate_verify_and_decode_round_trip_echoing_the_id_while_a_malformed_line_gets_its_own_error()
    {
        const string Generate =
            """
            {"id":"a","type":"merchant","bakongAccountID":"kiosk_shop@aclb","merchantName":"Sokha Coffee","merchantID":"1234567890","acquiringBank":"ACLEDA Bank","currency":"USD","amount":12.5,"billNumber":"INV-1","expirationTimestamp":1767225900000}
            this is not json
            {"id":"c","type":"individual","bakongAccountID":"shop@aclb","merchantName":"Sokha","currency":116}
            """;

        var generated = await Cli.RunWithInputAsync(Generate + "\n", "khqr", "generate", "--jsonl", "--now", "1767225600000");

        Assert.Equal(0, generated.ExitCode);
        Assert.Empty(generated.Error);
        var lines = Parse(generated.Output);
        Assert.Equal(3, lines.Length);
        Assert.Equal("a", lines[0].GetProperty("id").GetString());
        Assert.Equal(0, lines[1].GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("c", lines[2].GetProperty("id").GetString());
        var qrs = new[] { lines[0].GetProperty("qr").GetString()!, lines[2].GetProperty("qr").GetString()! };

        var verifyInput = string.Concat(qrs.Select((qr, i) => JsonSerializer.Serialize(new { id = i, qr }) + "\n")) + "[1,2]\n";
        var verified = Parse((await Cli.RunWithInputAsync(verifyInput, "khqr", "verify", "--jsonl", "--now", "1767225600000")).Output);
        Assert.Equal(3, verified.Length);
        Assert.True(verified[0].GetProperty("valid").GetBoolean());
        Assert.Equal(0, verified[0].GetProperty("id").GetInt32());
        Assert.True(verified[1].GetProperty("valid").GetBoolean());
        Assert.Equal(0, verified[2].GetProperty("error").GetProperty("code").GetInt32());

        var decodeInput = JsonSerializer.Serialize(new { qr = qrs[0], id = "x" }) + "\n";
        var decoded = Assert.Single(Parse((await Cli.RunWithInputAsync(decodeInput, "khqr", "decode", "--jsonl")).Output));
        Assert.Equal("x", decoded.GetProperty("id").GetString());
        Assert.Equal("12.50", decoded.GetProperty("transactionAmount").GetString());
        Assert.Equal("1234567890", decoded.GetProperty("merchantID").GetString());
    }

    [Fact]
    public async Task Jsonl_generate_reports_sdk_errors_as_data_and_exits_0()
    {
        var run = await Cli.RunWithInputAsync("""{"id":9,"type":"individual","bakongAccountID":"shop@aclb","merchantName":"abcdefghijklmnopqrstuvwxyz"}""" + "\n",
            "khqr", "generate", "--jsonl");

        Assert.Equal(0, run.ExitCode);
        var line = Assert.Single(Parse(run.Output));
        Assert.Equal(9, line.GetProperty("id").GetInt32());
        Assert.Equal(7, line.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Jsonl_does_not_require_the_human_mode_flags()
    {
        var run = await Cli.RunWithInputAsync("", "khqr", "generate", "--jsonl");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Empty(run.Error);
    }

    [Theory]
    [InlineData("khqr", "generate", "--jsonl", "--name", "Sokha")]
    [InlineData("khqr", "verify", "--jsonl", "00020101")]
    [InlineData("khqr", "decode", "--jsonl", "--json")]
    public async Task Jsonl_with_a_human_mode_flag_is_a_usage_error_rather_than_silently_ignoring_it(params string[] args)
    {
        var run = await Cli.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--jsonl", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    private static JsonElement[] Parse(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToArray();
}
