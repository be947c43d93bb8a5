using System.Text.RegularExpressions;
using NetPolHost.Linting;
using NetPolHost.Parsing;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Linting;

/// <summary>Every rule against manifests that trigger it and near misses that must not: the findings of each file of
/// <c>tests/data/lint</c> are exactly the ones its <c># lint: NPH00x</c> comments mark, by rule and line.</summary>
public sealed partial class LintCaseTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var file in System.IO.Directory.GetFiles(Directory, "nph*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    internal static string Directory => RepositoryPaths.Combine("tests", "data", "lint");

    internal static LoadResult Load(params string[] paths) =>
        new ManifestLoader(new ManifestLoaderOptions { RecordPolicyFieldLocations = true }).LoadPaths(paths);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Findings_AreExactlyTheMarkedOnes(string name)
    {
        var file = Path.Combine(Directory, name);
        var load = Load(file);
        Assert.Empty(load.Errors);
        var expected = new List<string>();
        var lines = File.ReadAllLines(file);
        for (var i = 0; i < lines.Length; i++)
        {
            if (Marker().Match(lines[i]) is { Success: true } match)
            {
                expected.AddRange(match.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries).Select(id => $"{id} at line {i + 1}"));
            }
        }

        var result = PolicyLinter.Lint(load);
        var found = result.Findings.Select(f => $"{f.RuleId} at line {f.Line}").ToList();
        Assert.True(expected.Order().SequenceEqual(found.Order()),
            $"expected:\n  {string.Join("\n  ", expected.Order())}\nfound:\n  {string.Join("\n  ", result.Findings.Select(f => f.ToString()))}");

        // Every finding names the file, the policy and a field of it, and says what to do.
        Assert.All(result.Findings, f =>
        {
            Assert.Equal(file, f.File);
            Assert.True(f.Column > 0);
            Assert.StartsWith("spec.", f.Path, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(f.Suggestion));
            Assert.Matches("^(NetworkPolicy [^/ ]+/[^/ ]+|ClusterNetworkPolicy [^ ]+)$", f.Policy);
        });

        // The rules that need the cluster run exactly when it is given, and say so otherwise.
        var hasPods = !load.Snapshot.Pods.IsEmpty;
        Assert.Equal(hasPods ? [] : ["NPH003", "NPH004", "NPH008", "NPH009", "NPH012", "NPH013"], result.SkippedRules);
        Assert.Equal(hasPods ? 0 : 1, result.Notes.Count(n => n.Contains("need the cluster's pods", StringComparison.Ordinal)));
    }

    [Fact]
    public void EveryRule_HasATriggerAndANearMiss()
    {
        foreach (var rule in LintRules.All)
        {
            var id = rule.Id.ToLowerInvariant();
            Assert.True(File.Exists(Path.Combine(Directory, id + "-trigger.yaml")), id + "-trigger.yaml");
            Assert.True(File.Exists(Path.Combine(Directory, id + "-near-miss.yaml")), id + "-near-miss.yaml");
            var trigger = File.ReadAllText(Path.Combine(Directory, id + "-trigger.yaml"));
            Assert.Contains("# lint: " + rule.Id, trigger, StringComparison.Ordinal);
            Assert.DoesNotContain(rule.Id, File.ReadAllText(Path.Combine(Directory, id + "-near-miss.yaml")).Split('\n').Where(l => l.Contains("# lint:", StringComparison.Ordinal)));
        }
    }

    [GeneratedRegex(@"#\s*lint:\s*([A-Z0-9, ]+)\s*$")]
    private static partial Regex Marker();
}
