namespace Bakong.EndToEnd.Tests.Processes;

/// <summary>Where the projects this test project builds first (its project references) put their output.</summary>
internal static class Built
{
    /// <summary>The repository root: the folder holding <c>Bakong.Grpc.sln</c>, found above the test's output.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary><c>Debug</c> or <c>Release</c>: the configuration this test assembly was built in, so the same is run.</summary>
    public static string Configuration { get; } = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    public static string Gateway => Assembly("Bakong.Gateway", "Bakong.Gateway");

    /// <summary>The <c>bakong</c> tool.</summary>
    public static string Cli => Assembly("Bakong.Cli", "bakong");

    private static string Assembly(string project, string assemblyName)
    {
        var path = Path.Combine(RepositoryRoot, "src", project, "bin", Configuration, "net10.0", assemblyName + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: " + path, path);
    }

    private static string FindRoot()
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
