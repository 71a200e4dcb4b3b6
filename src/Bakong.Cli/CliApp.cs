using System.CommandLine;
using System.CommandLine.Invocation;
using Bakong.Cli.Khqr;
using Bakong.Cli.Sandbox;

namespace Bakong.Cli;

/// <summary>The <c>bakong</c> command tree, built over a <see cref="CliContext"/> so it runs the same in a test.</summary>
internal static class CliApp
{
    public static RootCommand Build(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new RootCommand("bakong: KHQR codes and Bakong payments from the shell.")
        {
            new KhqrCommand(context),
            new SandboxCommand(context),
            new Bakong.Cli.Token.TokenCommand(context),
            new Bakong.Cli.Audit.AuditCommand(context),
            new Bakong.Cli.Clients.ClientsCommand(context),
            new Bakong.Cli.Backup.BackupCommand(context),
            new Bakong.Cli.Backup.RestoreCommand(context),
            new Bakong.Cli.Payments.PayCommand(context),
            new Bakong.Cli.Payments.WatchCommand(context),
            new Bakong.Cli.Payments.PaymentsCommand(context),
            new Bakong.Cli.Payments.VerifyReceiptCommand(context),
            new Bakong.Cli.Display.DisplayCommand(context),
            new Bakong.Cli.Reports.ReportCommand(context),
            new Bakong.Cli.Exceptions.ExceptionsCommand(context),
            new Bakong.Cli.Exceptions.ResolveCommand(context),
            new Bakong.Cli.Notify.NotifyCommand(context),
        };
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Before the parse: an option's parser may fall back to a variable (BAKONG_KIOSK_URL).
        CliVariables.Use(context.Variables);
        var parseResult = Build(context).Parse(args);

        // System.CommandLine answers a usage error with exit code 1 and the whole help text; ours is 2 (1 means
        // "invalid" to verify), and the error lines alone, so that a script sees one line per mistake.
        if (parseResult.Action is ParseErrorAction)
        {
            foreach (var error in parseResult.Errors)
            {
                context.Error.WriteLine(error.Message);
            }

            if (args.Count == 0)
            {
                // Plain `bakong`: nothing was asked, so say what can be. The usage goes to stderr with the error, keeping
                // stdout empty as for any other mistake.
                parseResult.RootCommandResult.Command.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = context.Error });
                return ExitCodes.NoCommand;
            }

            return MistakeExitCode(parseResult);
        }

        // Commands that can reach a gateway (those with --server, and the sandbox's on the gateway's Web endpoint)
        // connect with the TLS settings of the environment.
        string? tlsError = null;
        var reachesGateway = parseResult.CommandResult.Command.Options.Any(o => o.Name == "--server")
            || Sandbox.SandboxCommand.CallsASandbox(parseResult.CommandResult);
        using var tls = reachesGateway
            ? Payments.GatewayTls.FromVariables(context.Variables, out tlsError)
            : null;
        if (tlsError is not null)
        {
            context.Error.WriteLine(tlsError);
            return MistakeExitCode(parseResult);
        }

        // Async-local: this command's channels, not those of another run in the same process (tests).
        Payments.GatewayTls.Current.Value = tls;
        var invocation = new InvocationConfiguration { Output = context.Output, Error = context.Error };
        return await parseResult.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>pay and watch report a payment's outcome by exit code, where 2 means "failed": a mistake there is 1.</summary>
    private static int MistakeExitCode(ParseResult parseResult) =>
        parseResult.CommandResult.Command is Payments.PayCommand or Payments.WatchCommand
            ? Payments.PaymentExitCodes.Error
            : ExitCodes.BadInput;
}
