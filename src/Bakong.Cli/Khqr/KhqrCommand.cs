using System.CommandLine;

namespace Bakong.Cli.Khqr;

/// <summary><c>bakong khqr</c>: the KHQR codec from the shell.</summary>
internal sealed class KhqrCommand : Command
{
    public KhqrCommand(CliContext context)
        : base("khqr", "Generate, verify and decode KHQR codes with the official SDK's rules and error codes.")
    {
        Subcommands.Add(new GenerateCommand(context));
        Subcommands.Add(new VerifyCommand(context));
        Subcommands.Add(new DecodeCommand(context));
        Subcommands.Add(new BenchCommand(context));
    }
}
