using System.CommandLine;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Cli.Tests;

public sealed class CommandTreeTests
{
    [Fact]
    public void Every_command_argument_and_option_has_a_description()
    {
        var root = CliApp.Build(new CliContext(new FakeTimeProvider(), TextReader.Null, TextWriter.Null, TextWriter.Null));

        var missing = new List<string>();
        Walk(root, "bakong");
        Assert.Empty(missing);

        void Walk(Command command, string path)
        {
            if (string.IsNullOrWhiteSpace(command.Description))
            {
                missing.Add(path);
            }

            missing.AddRange(command.Options.Where(o => string.IsNullOrWhiteSpace(o.Description)).Select(o => $"{path} {o.Name}"));
            missing.AddRange(command.Arguments.Where(a => string.IsNullOrWhiteSpace(a.Description)).Select(a => $"{path} <{a.Name}>"));
            foreach (var sub in command.Subcommands)
            {
                Walk(sub, path + " " + sub.Name);
            }
        }
    }

    [Fact]
    public async Task Help_goes_to_the_injected_output_and_exits_0()
    {
        var run = await Cli.RunAsync("khqr", "generate", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--expires-in", run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task Bakong_alone_prints_the_usage_on_stderr_and_exits_1()
    {
        var run = await Cli.RunAsync();

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("Required command was not provided.", run.ErrorLines[0]);
        Assert.Contains("Usage:", run.Error, StringComparison.Ordinal);
        Assert.Contains("khqr", run.Error, StringComparison.Ordinal);
        Assert.Contains("pay", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task A_missing_subcommand_is_a_usage_error_with_exit_code_2()
    {
        var run = await Cli.RunAsync("khqr");

        Assert.Equal(2, run.ExitCode);
        Assert.NotEmpty(run.ErrorLines);
    }
}
