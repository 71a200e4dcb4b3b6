namespace Bakong.Cli;

/// <summary>
/// The environment variables of the command running on this flow: its <see cref="CliContext.Variables"/>, which
/// <see cref="CliApp.RunAsync"/> puts here for the run; the process's outside a run. Async-local, so two runs in one
/// process (tests) each read their own, and the parsers and helpers that read a variable (<c>BAKONG_KEY</c>,
/// <c>BAKONG_URL</c>, <c>Storage__Provider</c>, …) need no context passed down to them.
/// </summary>
internal static class CliVariables
{
    private static readonly AsyncLocal<Func<string, string?>?> s_current = new();

    /// <summary>The value of <paramref name="name"/>, or null.</summary>
    public static string? Get(string name) => (s_current.Value ?? Environment.GetEnvironmentVariable)(name);

    /// <summary>Makes <paramref name="variables"/> the variables of this flow and of the tasks it starts from here.</summary>
    internal static void Use(Func<string, string?> variables) => s_current.Value = variables;
}
