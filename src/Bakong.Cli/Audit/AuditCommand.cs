using System.CommandLine;

namespace Bakong.Cli.Audit;

/// <summary>
/// <c>bakong audit list</c>: the calls made to Bakong; <c>bakong audit api</c>: the creates, cancels and admin actions
/// made on the gateway. Both from the audit database the gateway (and the CLI) write.
/// </summary>
internal sealed class AuditCommand : Command
{
    public AuditCommand(CliContext context)
        : base("audit", "Read the audits: calls to Bakong (list: every attempt, with endpoint, subject, HTTP status, Bakong codes, latency) and calls to the gateway's API (api: creates, cancels, admin actions, who and from where).")
    {
        Subcommands.Add(new AuditListCommand(context));
        Subcommands.Add(new AuditApiCommand(context));
    }
}
