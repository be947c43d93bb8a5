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
        Console.WriteLine($"  ({plan.Endpoints.Count} isolated endpoints, {plan.Rules.Count} rules, {plan.Rules.Sum(r => r.Peers.Hosts.Count):N0} peer addresses, {plan.Rules.Sum(r => r.Peers.Ranges.Count)} ranges)");
    }
}
