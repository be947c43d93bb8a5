using System.Diagnostics;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Parsing;
using NetPolHost.TestKit;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 3: 10,000 pods in 100 namespaces with 1,000 policies — load and index, Decide, the full matrix.</summary>
internal static class MatcherBenchmarks
{
    public static void Run()
    {
        var yaml = LargeCluster.Yaml();
        Console.WriteLine($"cluster: {yaml.Length / 1024 / 1024.0:F1} MiB of YAML (10,000 pods, 100 namespaces, 1,000 policies)");
        ClusterSnapshot snapshot = null!;
        Measure.Report("load (parse + validate the YAML)", Measure.Runs(5, () => snapshot = ManifestLoader.LoadText(yaml, "large.yaml").GetSnapshotOrThrow()));
        PolicyMatcher matcher = null!;
        Measure.Report("index (PolicyMatcher over the snapshot)", Measure.Runs(5, () => matcher = new PolicyMatcher(snapshot)));
        var total = Measure.Runs(5, () => matcher = new PolicyMatcher(ManifestLoader.LoadText(yaml, "large.yaml").GetSnapshotOrThrow()));
        Measure.Report("load and index", total, limit: 2000);

        var random = new Random(1);
        var pods = snapshot.Pods.Select(p => FlowEndpoint.ForPod(p.Namespace, p.Name)).ToArray();
        var flows = Enumerable.Range(0, 10_000).Select(_ => new Flow(pods[random.Next(pods.Length)], pods[random.Next(pods.Length)], random.Next(3) switch { 0 => 8080, 1 => 9090, _ => 53 }, random.Next(4) == 0 ? Protocol.Udp : Protocol.Tcp)).ToArray();
        var allowed = 0;
        var perDecide = Measure.Runs(11, () =>
        {
            foreach (var flow in flows)
            {
                if (matcher.Decide(flow).Allowed)
                {
                    allowed++;
                }
            }
        }).Select(ms => ms * 1000 / flows.Length).ToList();
        Measure.Report("Decide (one flow, with reasons)", perDecide, "us", limit: 10);
        Console.WriteLine($"  ({allowed / 12 * 100 / flows.Length}% of the sampled flows allowed)");

        TruthTable table = null!;
        var matrix = Measure.Runs(3, () => table = matcher.BuildTruthTable(probes: [new PortProbe(8080)]));
        Measure.Report("full combined matrix 10,000 x 10,000, one port", matrix, limit: 2000);
        var cells = (long)table.Endpoints.Count * table.Endpoints.Count;
        Console.WriteLine($"  ({cells:N0} verdicts, {table.Probes[0].Allowed.CountTrue():N0} allowed; ingress-only and egress-only matrices built too)");

        // A spot check that the fast matrix and Decide agree on the big cluster.
        var sample = new Random(2);
        var index = table.Endpoints.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i);
        for (var n = 0; n < 2000; n++)
        {
            var a = pods[sample.Next(pods.Length)];
            var b = pods[sample.Next(pods.Length)];
            var decided = matcher.Decide(new Flow(a, b, 8080)).Allowed;
            if (decided != table.Probes[0].Allowed[index[a.ToString()], index[b.ToString()]])
            {
                throw new InvalidOperationException($"matrix and Decide disagree on {a} -> {b}");
            }
        }

        Console.WriteLine("  (2,000 sampled cells of the matrix equal Decide)");

        // Issue 10: the same cluster with 100 ClusterNetworkPolicies of both tiers.
        var tiered = new PolicyMatcher(ManifestLoader.LoadText(yaml + LargeCluster.ClusterPoliciesYaml(), "large.yaml").GetSnapshotOrThrow());
        var withTiers = Measure.Runs(3, () => table = tiered.BuildTruthTable(probes: [new PortProbe(8080)]));
        Measure.Report("the same matrix with 100 ClusterNetworkPolicies (Admin and Baseline)", withTiers, limit: 2000);
        Measure.Ratio("matrix with 100 ClusterNetworkPolicies / without", Measure.Median(withTiers) / Measure.Median(matrix), 1.5);
        for (var n = 0; n < 2000; n++)
        {
            var a = pods[sample.Next(pods.Length)];
            var b = pods[sample.Next(pods.Length)];
            if (tiered.Decide(new Flow(a, b, 8080)).Allowed != table.Probes[0].Allowed[index[a.ToString()], index[b.ToString()]])
            {
                throw new InvalidOperationException($"tiered matrix and Decide disagree on {a} -> {b}");
            }
        }

        Console.WriteLine("  (2,000 sampled cells of the tiered matrix equal Decide)");
        _ = Stopwatch.Frequency;
    }
}
