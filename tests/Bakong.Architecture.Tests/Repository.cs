namespace Bakong.Architecture.Tests;

internal static class Repository
{
    /// <summary>The folder holding Bakong.Grpc.sln, found above the test's output.</summary>
    public static string Root { get; } = Find();

    private static string Find()
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
