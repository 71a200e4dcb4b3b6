using System.Text.Json;

namespace Bakong.Cli.Tests.Khqr;

public sealed class BenchCommandTests
{
    [Fact]
    public async Task Bench_prints_one_json_line_with_three_positive_integer_rates()
    {
        var run = await Cli.RunAsync("khqr", "bench", "--seconds", "0.1");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Error);
        var line = Assert.Single(run.OutputLines);
        using var json = JsonDocument.Parse(line);
        Assert.Equal(["generate_per_s", "decode_per_s", "verify_per_s"], json.RootElement.EnumerateObject().Select(p => p.Name));
        foreach (var rate in json.RootElement.EnumerateObject())
        {
            Assert.True(rate.Value.TryGetInt64(out var perSecond), rate.Name);
            Assert.True(perSecond > 0, rate.Name);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("fast")]
    public async Task Bench_with_a_bad_duration_exits_2_naming_the_flag(string seconds)
    {
        var run = await Cli.RunAsync("khqr", "bench", "--seconds", seconds);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("--seconds: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }
}
