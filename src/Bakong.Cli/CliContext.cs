namespace Bakong.Cli;

/// <summary>
/// What a command may touch of the world: the clock, the three standard streams and the environment variables it
/// reads through <see cref="Variables"/>. Tests pass a fake clock, string readers/writers and variables of their own;
/// <c>Program</c> passes <see cref="TimeProvider.System"/>, the console and the process's environment.
/// </summary>
internal sealed record CliContext(TimeProvider TimeProvider, TextReader Input, TextWriter Output, TextWriter Error)
{
    /// <summary>An environment variable's value, or null (the TLS settings of <c>Payments.GatewayTls</c>).</summary>
    public Func<string, string?> Variables { get; init; } = Environment.GetEnvironmentVariable;
}
