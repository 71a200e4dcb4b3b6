using System.Diagnostics;

namespace Bakong.Cli.Tests.Display;

/// <summary>
/// The C reference device (firmware-protocol/examples/posix-device): the one CI built (.ci/run runs
/// firmware-protocol/ci.sh before the .NET tests, into .ci/out/firmware-protocol/gcc-O2), or else built here once with
/// CMake into the test output. Without CMake or a C compiler the tests that need it are skipped, saying why.
/// </summary>
internal static class ReferenceDevice
{
    private static readonly Lazy<Task<string>> s_built = new(BuildAsync);

    public static async Task<string> PathAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("the reference device runs on a pseudo-terminal (Linux)");
        }

        var path = await s_built.Value;
        if (path.StartsWith("skip:", StringComparison.Ordinal))
        {
            Assert.Skip(path[5..]);
        }

        return path;
    }

    private static async Task<string> BuildAsync()
    {
        var root = RepositoryRoot();
        var ci = Path.Combine(root, ".ci", "out", "firmware-protocol", "gcc-O2", "posix-device");
        if (File.Exists(ci))
        {
            return ci;
        }

        var build = Path.Combine(AppContext.BaseDirectory, "posix-device-build");
        var source = Path.Combine(root, "firmware-protocol");
        if (await RunAsync("cmake", ["-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=Release"]) is { } configure)
        {
            return "skip:" + configure;
        }

        if (await RunAsync("cmake", ["--build", build, "--target", "posix-device", "-j", "2"]) is { } compile)
        {
            return "skip:" + compile;
        }

        return Path.Combine(build, "posix-device");
    }

    /// <summary>Runs a tool; null when it succeeded, else why not (a missing tool, its failure).</summary>
    private static async Task<string?> RunAsync(string tool, string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"{tool} is not installed: the C reference device cannot be built (CI builds it with firmware-protocol/ci.sh)";
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await output;
            await process.WaitForExitAsync();
            return process.ExitCode == 0
                ? null
                : $"{tool} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Trim()}";
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bakong.Grpc.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Bakong.Grpc.sln not found above " + AppContext.BaseDirectory);
    }
}
