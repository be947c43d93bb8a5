using NetPolHost.Matching;
using NetPolHost.Parsing;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 4: compile the plan of a node with 110 local pods in the large cluster.</summary>
internal static class CompileBenchmarks
{
    public static void Run()
    {
        var matcher = new PolicyMatcher(ManifestLoader.LoadText(LargeCluster.Yaml(), "large.yaml").GetSnapshotOrThrow());
        RulePlan plan = null!;
        Measure.Report("compile node-000 (110 local pods; indexed snapshot)", Measure.Runs(10, () => plan = RulePlanCompiler.Compile(matcher, new RulePlanOptions { NodeName = "node-000" })), limit: 100);
        Console.WriteLine($"  ({plan.DescribeEndpointCount()}, {plan.Rules.Count} rules, {plan.Rules.Sum(r => r.Peers.Hosts.Count):N0} peer addresses, {plan.Rules.Sum(r => r.Peers.Ranges.Count)} ranges)");
        var without = Measure.Runs(10, () => plan = RulePlanCompiler.Compile(matcher, new RulePlanOptions { NodeName = "node-000" }));

        // Issue 10: the same node with 100 ClusterNetworkPolicies of both tiers.
        var tiered = new PolicyMatcher(ManifestLoader.LoadText(LargeCluster.Yaml() + LargeCluster.ClusterPoliciesYaml(), "large.yaml").GetSnapshotOrThrow());
        var with = Measure.Runs(10, () => plan = RulePlanCompiler.Compile(tiered, new RulePlanOptions { NodeName = "node-000" }));
        Measure.Report("compile node-000 with 100 ClusterNetworkPolicies", with, limit: 100);
        Console.WriteLine($"  ({plan.Endpoints.Count} endpoints, {plan.Rules.Count} rules)");
        Measure.Ratio("compile with 100 ClusterNetworkPolicies / without (same run)", Measure.Median(with) / Measure.Median(without), 1.5);
    }
}
