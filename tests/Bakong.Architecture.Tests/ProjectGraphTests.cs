using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Bakong.Architecture.Tests;

/// <summary>
/// The dependency picture of docs/architecture.md, read from the <c>ProjectReference</c>s of src/*/*.csproj: a star
/// around the payments core, the display library apart from it, nothing referencing the gateway.
/// </summary>
public sealed partial class ProjectGraphTests
{
    private const string Payments = "Bakong.Payments";

    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlySet<string>>> s_references = new(ReadReferences);

    private static IReadOnlyDictionary<string, IReadOnlySet<string>> References => s_references.Value;

    [Fact]
    public void Every_project_references_exactly_what_the_projects_table_of_docs_architecture_md_says()
    {
        var documented = DocumentedReferences();

        Assert.Equal(References.Keys.Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));
        Assert.All(References, project => Assert.True(
            project.Value.SetEquals(documented[project.Key]),
            $"{project.Key} references [{string.Join(", ", project.Value.Order(StringComparer.Ordinal))}]; docs/architecture.md says "
            + $"[{string.Join(", ", documented[project.Key].Order(StringComparer.Ordinal))}]."));
    }

    [Fact]
    public void The_projects_are_a_star_around_payments()
    {
        // The core stands on the codec and the Bakong client alone, which stand on nothing of ours.
        Assert.Equal(["Bakong.Khqr", "Bakong.OpenApi"], References[Payments].Order(StringComparer.Ordinal));
        Assert.Empty(References["Bakong.Khqr"]);
        Assert.Empty(References["Bakong.OpenApi"]);

        // Only the adapters reference the core: the host, the display bridge and the PostgreSQL store.
        Assert.Equal(
            ["Bakong.Display.Payments", "Bakong.Gateway", "Bakong.Storage.PostgreSql"],
            References.Where(p => p.Value.Contains(Payments)).Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_display_library_reaches_no_payments_project()
    {
        Assert.DoesNotContain(Reachable("Bakong.Display"), p => p.StartsWith(Payments, StringComparison.Ordinal) || p == "Bakong.Display.Payments");
    }

    [Fact]
    public void Nothing_references_the_gateway_and_the_cli_reaches_neither_it_nor_payments()
    {
        Assert.DoesNotContain(References, p => p.Value.Contains("Bakong.Gateway") || p.Value.Contains("Bakong.Cli"));
        Assert.DoesNotContain(Payments, Reachable("Bakong.Cli"));
    }

    /// <summary>The projects <paramref name="project"/> references, directly or through others.</summary>
    private static HashSet<string> Reachable(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            foreach (var reference in References[next])
            {
                if (seen.Add(reference))
                {
                    pending.Push(reference);
                }
            }
        }

        return seen;
    }

    private static Dictionary<string, IReadOnlySet<string>> ReadReferences()
    {
        var references = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var csproj in Directory.GetFiles(Path.Combine(Repository.Root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            references[Path.GetFileNameWithoutExtension(csproj)] = XDocument.Load(csproj).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
                .ToHashSet(StringComparer.Ordinal);
        }

        return references;
    }

    /// <summary>The "references" column of the Projects table: <c>| `src/Bakong.X` | holds | Khqr, OpenApi |</c>.</summary>
    private static Dictionary<string, HashSet<string>> DocumentedReferences()
    {
        var documented = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match row in ProjectRow().Matches(File.ReadAllText(Path.Combine(Repository.Root, "docs", "architecture.md"))))
        {
            var cell = row.Groups["references"].Value.Trim();
            documented[row.Groups["project"].Value] = cell == "—"
                ? []
                : cell.Split(',', StringSplitOptions.TrimEntries).Select(name => "Bakong." + name).ToHashSet(StringComparer.Ordinal);
        }

        return documented;
    }

    [GeneratedRegex(@"^\| `src/(?<project>[^`]+)` \|[^|\n]*\| (?<references>[^|\n]+) \|$", RegexOptions.Multiline)]
    private static partial Regex ProjectRow();
}
