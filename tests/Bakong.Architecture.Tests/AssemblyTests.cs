using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Bakong.Architecture.Tests;

/// <summary>What the compiled src assemblies say of their dependencies (every one is in this project's output).</summary>
public sealed class AssemblyTests
{
    /// <summary>Each src assembly and its root namespace.</summary>
    public static TheoryData<string, string> Assemblies => new()
    {
        { "Bakong.Khqr", "Bakong.Khqr" },
        { "Bakong.OpenApi", "Bakong.OpenApi" },
        { "Bakong.Identity", "Bakong.Identity" },
        { "Bakong.Sandbox", "Bakong.Sandbox" },
        { "Bakong.Payments", "Bakong.Payments" },
        { "Bakong.Storage.PostgreSql", "Bakong.Storage.PostgreSql" },
        { "Bakong.Display", "Bakong.Display" },
        { "Bakong.Display.Payments", "Bakong.Display.Payments" },
        { "Bakong.Gateway", "Bakong.Gateway" },
        { "bakong", "Bakong.Cli" },
        { "Bakong.Grpc.Client", "Bakong.Grpc.Client" },
    };

    [Fact]
    public void Every_src_project_is_checked()
    {
        var projects = Directory.GetFiles(Path.Combine(Repository.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(Path.GetFileNameWithoutExtension);

        Assert.Equal(projects.Order(StringComparer.Ordinal), Assemblies.Select(a => a.Data.Item2).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_namespace_uses_one_that_uses_it_back(string assembly, string rootNamespace)
    {
        var graph = NamespaceGraph.Read(PathOf(assembly), rootNamespace);

        // Each cycle with the uses that close it: one type of each namespace and a type it uses in the next.
        var cycles = graph.Cycles().Select(cycle => string.Join(
            "\n",
            cycle.SelectMany(from => graph.Edges[from].Where(e => cycle.Contains(e.Key)).Select(e => $"  {from} → {e.Key}: {e.Value.From} uses {e.Value.To}")))).ToList();
        Assert.True(cycles.Count == 0, "Namespace cycles in " + assembly + ":\n" + string.Join("\n\n", cycles));
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Only_the_projects_that_own_a_litedb_store_compile_against_litedb(string assembly, string rootNamespace)
    {
        // The token store and call audit (OpenApi), the client store (Identity) and the payment store (Payments) keep LiteDB to themselves: their
        // failures reach everyone else as the store's own exception types.
        using var stream = File.OpenRead(PathOf(assembly));
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var references = reader.AssemblyReferences.Select(r => reader.GetString(reader.GetAssemblyReference(r).Name));

        if (rootNamespace is "Bakong.OpenApi" or "Bakong.Identity" or "Bakong.Payments")
        {
            Assert.Contains("LiteDB", references);
        }
        else
        {
            Assert.DoesNotContain("LiteDB", references);
        }
    }

    private static string PathOf(string assembly) => Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
}
