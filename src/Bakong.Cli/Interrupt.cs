using System.Runtime.InteropServices;

namespace Bakong.Cli;

/// <summary>
/// The invocation's cancellation, plus Ctrl-C and SIGTERM caught here when the command runs on the real console, so
/// that <c>pay</c> can cancel its payment and <c>sandbox serve</c> can stop its server before exiting (a signal would
/// otherwise end the process at once, or leave it waiting).
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration? _sigint;
    private readonly PosixSignalRegistration? _sigterm;

    public Interrupt(CliContext context, CancellationToken cancellationToken)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (ReferenceEquals(context.Output, Console.Out))
        {
            _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        }
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        _sigint?.Dispose();
        _sigterm?.Dispose();
        _source.Dispose();
    }

    private void OnSignal(PosixSignalContext signal)
    {
        signal.Cancel = true; // the command ends itself, with its own exit code
        _source.Cancel();
    }
}
