using NetPolHost.Linting;
using NetPolHost.Parsing;
using NetPolHost.TestKit;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 12: lint of the 10,000-pod cluster (1,000 NetworkPolicies, 100 ClusterNetworkPolicies), every rule,
/// the cluster rules included; and what recording the places of policy fields costs the load.</summary>
internal static class LintBenchmarks
{
    public static void Run()
    {
        var yaml = LargeCluster.Yaml() + LargeCluster.ClusterPoliciesYaml();
        Console.WriteLine($"cluster: {yaml.Length / 1024 / 1024.0:F1} MiB of YAML (10,000 pods, 100 namespaces, 1,000 policies, 100 cluster policies)");
        var record = new ManifestLoaderOptions { RecordPolicyFieldLocations = true };
        LoadResult load = null!;

        // Alternated, so that both see the same machine and the same garbage collector state.
        var (plain, withPlaces) = (new List<double>(), new List<double>());
        for (var run = 0; run < 5; run++)
        {
            plain.AddRange(Measure.Runs(1, () => ManifestLoader.LoadText(yaml, "large.yaml"), warmUp: run == 0));
            withPlaces.AddRange(Measure.Runs(1, () => load = ManifestLoader.LoadText(yaml, "large.yaml", record), warmUp: run == 0));
        }

        Measure.Report("load without places (every other command's load)", plain);
        Measure.Report("load recording the places of policy fields (lint's)", withPlaces);
        Measure.Ratio("load with places / without", Measure.Median(withPlaces) / Measure.Median(plain), 1.2);
        Console.WriteLine($"  ({load.PolicyLocations.Count:N0} policies, {load.PolicyLocations.Values.Sum(l => l.Count):N0} field places kept)");

        LintResult result = null!;
        var lint = Measure.Runs(5, () => result = PolicyLinter.Lint(load));
        Measure.Report("lint (all 13 rules, one pass)", lint, limit: 2000);
        Console.WriteLine($"  ({result.Findings.Count:N0} findings: {string.Join(", ", result.Findings.GroupBy(f => f.RuleId).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))})");
    }
}
