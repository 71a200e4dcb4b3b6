using System.Globalization;

namespace Bakong.Testing.Hermetic;

/// <summary>
/// The assembly fixture of every test project (tests/Directory.Build.props generates
/// <c>[assembly: Xunit.AssemblyFixture(typeof(HermeticDataDirectory))]</c>): created before any test of the assembly
/// runs, it points <c>BAKONG_DATA</c> — the default data directory of the gateway and of <c>bakong</c>
/// (<c>BakongDataDirectory</c>) — at a folder of this test process under the temp path, so a test host that does not
/// set its own <c>Storage:Path</c> or <c>--data</c> writes there and never into the real per-user directory
/// (<c>~/.local/share/bakong</c>). It also overrides a <c>BAKONG_DATA</c> the developer's shell set. Child processes
/// (the end-to-end gateway and <c>bakong</c>) inherit it. A fixture rather than a module initializer here: a library's
/// module initializer runs only when the library is first touched, which a test project may never do.
/// </summary>
public sealed class HermeticDataDirectory : IDisposable
{
    public HermeticDataDirectory() => Environment.SetEnvironmentVariable("BAKONG_DATA", Path);

    public static string Path { get; } = System.IO.Path.Combine(
        System.IO.Path.GetTempPath(), "bakong-tests-data-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    public void Dispose()
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
    }
}
