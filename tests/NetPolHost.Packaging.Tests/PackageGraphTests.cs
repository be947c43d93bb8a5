using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace NetPolHost.Packaging.Tests;

/// <summary>The package graph: every library package references Core and no other package of ours, except
/// NetPolHost.AutomaticBackend, whose purpose is to know every backend, and NetPolHost.Hosting.Prometheus, the node
/// agent's metrics endpoint (Core and Hosting only). README's package table says the same.</summary>
public sealed partial class PackageGraphTests
{
    private static string Root => NetPolHost.TestKit.RepositoryPaths.Root;

    private static readonly string[] s_backends = ["NetPolHost.Nftables", "NetPolHost.Firewalld", "NetPolHost.WindowsFirewall", "NetPolHost.Wfp"];

    /// <summary>The shipped projects (lib/ and adapters/) and the projects of ours each references.</summary>
    private static Dictionary<string, string[]> ShippedReferences()
    {
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var folder in new[] { "lib", "adapters" })
        {
            foreach (var project in Directory.EnumerateFiles(Path.Combine(Root, folder), "*.csproj", SearchOption.AllDirectories))
            {
                var references = XDocument.Load(project).Descendants("ProjectReference")
                    .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
                    .Order(StringComparer.Ordinal)
                    .ToArray();
                result.Add(Path.GetFileNameWithoutExtension(project), references);
            }
        }

        return result;
    }

    [Fact]
    public void EveryLibraryPackage_ReferencesCoreOnly()
    {
        var graph = ShippedReferences();
        Assert.Contains("NetPolHost.Core", graph.Keys);
        Assert.Empty(graph["NetPolHost.Core"]);
        foreach (var (project, references) in graph)
        {
            if (project is "NetPolHost.Core" or "NetPolHost.AutomaticBackend" or "NetPolHost.Hosting.Prometheus")
            {
                continue;
            }

            Assert.True(references.SequenceEqual(["NetPolHost.Core"]), $"{project} references {string.Join(", ", references)}; a library package may reference NetPolHost.Core and nothing else of ours");
        }

        Assert.Equal(["NetPolHost.Core", .. s_backends.Order(StringComparer.Ordinal)], graph["NetPolHost.AutomaticBackend"]);

        // The agent's endpoint extends the agent: it may know Hosting, and no backend (it reads rule counters through Core's
        // IRuleCounterReader).
        Assert.Equal(["NetPolHost.Core", "NetPolHost.Hosting"], graph["NetPolHost.Hosting.Prometheus"]);
    }

    [Fact]
    public void NoPackage_UsesInternalsOfAnotherPackage()
    {
        var shipped = ShippedReferences().Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var folder in new[] { "lib", "adapters" })
        {
            foreach (var project in Directory.EnumerateFiles(Path.Combine(Root, folder), "*.csproj", SearchOption.AllDirectories))
            {
                var friends = XDocument.Load(project).Descendants("InternalsVisibleTo").Select(r => r.Attribute("Include")!.Value);
                Assert.DoesNotContain(friends, f => shipped.Contains(f) || f == "NetPolHost.Console" || f == "NetPolHost.Benchmarks");
            }
        }
    }

    [Fact]
    public void ReadmePackageTable_MatchesTheProjects()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var section = readme[readme.IndexOf("\n## Packages", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 5, StringComparison.Ordinal)];
        var rows = TableRow().Matches(section).ToDictionary(
            m => m.Groups["package"].Value,
            m => m.Groups["refs"].Value.Trim() is "—" or "" ? [] : m.Groups["refs"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(r => "NetPolHost." + r.Trim('`')).Order(StringComparer.Ordinal).ToArray());
        var graph = ShippedReferences();
        Assert.Equal(graph.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (project, references) in graph)
        {
            Assert.True(references.SequenceEqual(rows[project]), $"README says {project} references {string.Join(", ", rows[project])}, the project file says {string.Join(", ", references)}");
        }
    }

    [GeneratedRegex(@"^\| `(?<package>NetPolHost\.[A-Za-z.]+)` \| (?<refs>[^|]*) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
