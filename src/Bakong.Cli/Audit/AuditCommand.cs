using System.CommandLine;

namespace Bakong.Cli.Audit;

/// <summary><c>bakong audit list</c>: the calls made to Bakong, from the audit database the gateway and the CLI write.</summary>
internal sealed class AuditCommand : Command
{
    public AuditCommand(CliContext context)
        : base("audit", "Read the audit of calls to Bakong: every attempt, with endpoint, subject, HTTP status, Bakong codes and latency.")
    {
        Subcommands.Add(new AuditListCommand(context));
    }
}
