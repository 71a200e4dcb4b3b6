namespace Bakong.Cli;

/// <summary>
/// What a command may touch of the world: the clock and the three standard streams. Tests pass a fake clock and
/// string readers/writers; <c>Program</c> passes <see cref="TimeProvider.System"/> and the console.
/// </summary>
internal sealed record CliContext(TimeProvider TimeProvider, TextReader Input, TextWriter Output, TextWriter Error);
