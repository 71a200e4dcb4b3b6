using System.Globalization;
using System.Runtime.CompilerServices;

namespace Bakong.Tests;

/// <summary>
/// Compiled into every test project (tests/Directory.Build.props). Before any test runs, points <c>BAKONG_DATA</c> —
/// the default data directory of the gateway and of <c>bakong</c> (<c>BakongDataDirectory</c>) — at a folder of this
/// test process under the temp path, so a test host that does not set its own <c>Storage:Path</c> or <c>--data</c>
/// writes there and never into the real per-user directory (<c>~/.local/share/bakong</c>). It also overrides a
/// <c>BAKONG_DATA</c> the developer's shell set. Child processes (the end-to-end gateway and <c>bakong</c>) inherit it.
/// </summary>
internal static class HermeticDataDirectory
{
    public static string Path { get; } = System.IO.Path.Combine(
        System.IO.Path.GetTempPath(), "bakong-tests-data-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    [ModuleInitializer]
    internal static void Initialize()
    {
        Environment.SetEnvironmentVariable("BAKONG_DATA", Path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                if (Directory.Exists(Path))
                {
                    Directory.Delete(Path, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A temp folder left behind is no harm.
            }
        };
    }
}
