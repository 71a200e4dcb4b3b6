using System.Reflection;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Configuration;

/// <summary>
/// A setting the gateway cannot run with stops it before it serves anything, with one line per bad setting on stderr
/// and exit code <see cref="ExitCode"/>: an operator reads what to fix, not an unhandled-exception stack trace.
/// </summary>
internal static class StartupFailure
{
    /// <summary>The process exit code for a configuration the gateway refuses.</summary>
    public const int ExitCode = 1;

    /// <summary>
    /// True when the gateway is the process, as an operator runs it. A host that runs the entry point itself (a test's
    /// <c>WebApplicationFactory</c>) gets the exception instead, to assert on.
    /// </summary>
    public static bool IsOwnProcess => Assembly.GetEntryAssembly() == typeof(Program).Assembly;

    /// <summary>
    /// Validates every option registered with <c>ValidateOnStart</c> now, before the endpoints are mapped (mapping reads
    /// some of them): all bad settings are reported together, and before the host would log the failure with its stack.
    /// </summary>
    public static void ValidateOptions(IServiceProvider services) => services.GetService<IStartupValidator>()?.Validate();

    /// <summary>The lines that say what to fix, when <paramref name="exception"/> is a refused configuration; else null.</summary>
    public static IReadOnlyList<string>? Describe(Exception exception) => exception switch
    {
        OptionsValidationException invalid => [.. invalid.Failures.Select(Line)],
        AggregateException many when many.InnerExceptions.All(e => e is OptionsValidationException) =>
            [.. many.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures).Select(Line)],
        _ => null,
    };

    private static string Line(string failure)
    {
        // The generated validators put the property's name first ("Mode: Bakong:Mode must be ..."); where the message
        // names the whole key itself, the name only repeats it.
        var colon = failure.IndexOf(": ", StringComparison.Ordinal);
        if (colon > 0)
        {
            var rest = failure[(colon + 2)..];
            var key = rest.Split(' ', 2)[0];
            if (key.Contains(":" + failure[..colon], StringComparison.Ordinal))
            {
                failure = rest;
            }
        }

        return "The gateway cannot start: " + failure;
    }
}
