using Microsoft.Extensions.Time.Testing;

namespace Bakong.Cli.Tests;

/// <summary>What one in-process run of <c>bakong</c> wrote and returned.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    /// <summary>The stderr lines, without the trailing empty one.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public string[] OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs the real command tree with string streams and a fake clock.</summary>
public static class Cli
{
    /// <summary>2026-01-01T00:00:00Z, the clock of every run that does not pass <c>--now</c>.</summary>
    public const long Now = 1767225600000;

    public static DateTimeOffset NowInstant => DateTimeOffset.FromUnixTimeMilliseconds(Now);

    public static Task<CliRun> RunAsync(params string[] args) => RunWithInputAsync("", args);

    public static async Task<CliRun> RunWithInputAsync(string stdin, params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var context = new CliContext(new FakeTimeProvider(NowInstant), new StringReader(stdin), output, error);
        var exitCode = await CliApp.RunAsync(args, context, TestContext.Current.CancellationToken);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }
}
