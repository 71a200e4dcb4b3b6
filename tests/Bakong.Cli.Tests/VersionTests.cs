using System.Reflection;

namespace Bakong.Cli.Tests;

public sealed class VersionTests
{
    [Fact]
    public async Task Bakong_version_prints_the_tool_version_and_exits_0()
    {
        var version = typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        var run = await Cli.RunAsync("--version");

        Assert.Equal((0, version + "\n", ""), (run.ExitCode, run.Output, run.Error));
        Assert.Matches(@"^\d+\.\d+\.\d+", run.Output);
    }
}
