namespace Bakong.Cli;

/// <summary>
/// What a command may touch of the world: the clock, the three standard streams and the environment variables it
/// reads through <see cref="Variables"/>. Tests pass a fake clock, string readers/writers and variables of their own;
/// <c>Program</c> passes <see cref="TimeProvider.System"/>, the console and the process's environment.
/// </summary>
internal sealed record CliContext(TimeProvider TimeProvider, TextReader Input, TextWriter Output, TextWriter Error)
{
    /// <summary>
    /// An environment variable's value, or null: every variable of <c>bakong</c>'s own (read through
    /// <see cref="CliVariables"/>) but <c>BAKONG_DATA</c>, which the gateway's code for the data directory reads from the
    /// process.
    /// </summary>
    public Func<string, string?> Variables { get; init; } = Environment.GetEnvironmentVariable;
}
