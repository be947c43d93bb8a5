using System.Net;
using NetPolHost.Backends;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Nftables;
using NetPolHost.Parsing;
using NetPolHost.Planning;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 4: full and incremental applies with libnftables, against nft -f by hand, in a network namespace.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class NftablesBenchmarks
{
    public static async Task RunAsync()
    {
        if (Namespaces.UnavailableReason() is { } reason)
        {
            Console.WriteLine("nftables benchmarks skipped: " + reason);
            return;
        }

        var snapshot = ManifestLoader.LoadText(LargeCluster.Yaml(), "large.yaml").GetSnapshotOrThrow();
        var plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-000" });
        await using var lab = NetworkLab.Create();
        var node = lab.AddNode("bench");
        using var backend = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = node, DeleteConntrackEntriesOfDeniedFlows = false });
        var script = backend.RenderNative(plan);
        var file = Path.Combine(Path.GetTempPath(), $"netpolhost-bench-{Environment.ProcessId}.nft");
        await File.WriteAllTextAsync(file, script);
        Console.WriteLine($"plan of node-000: {plan.Endpoints.Count} endpoints, {plan.Rules.Count} rules; script {script.Length / 1024} KiB, {script.Split('\n').Length} lines");

        // A full apply creates the table: it is removed (untimed) before each run.
        var ours = FullApplies(backend, plan, 10);
        Measure.Report("full apply (render + one libnftables transaction)", ours, limit: 300);
        backend.ApplyAsync(plan).GetAwaiter().GetResult();
        Measure.Report("repair check with nothing to repair (read the table back, compare)", Measure.Runs(10, () => backend.ApplyAsync(plan, new ApplyOptions { Full = true }).GetAwaiter().GetResult()));
        var byHand = Measure.Runs(10, () => Namespaces.Run("ip", "netns", "exec", node, "nft", "-f", file));
        Measure.Report("the same script with nft -f by hand", byHand);
        Console.WriteLine($"  ratio ours / nft -f: {Measure.Median(ours) / Measure.Median(byHand):F2} (target <= 1.5)");

        // Incremental: one pod added (it matches several rules' peer sets), and one label changed.
        var extra = new Pod
        {
            Namespace = "ns-001",
            Name = "new-pod",
            Labels = LabelMap.Of("app", "app-0", "tier", "api", "version", "v1"),
            NodeName = "node-050",
            IPs = [IPAddress.Parse("10.99.0.1")],
            Ports = [new ContainerPort("http", 8080)],
        };
        var withPod = RulePlanCompiler.Compile(new PolicyMatcher(snapshot.With(pods: [extra])), new RulePlanOptions { NodeName = "node-000" });
        var relabelled = snapshot.Pods.First(p => p.NodeName == "node-050");
        var withLabel = RulePlanCompiler.Compile(new PolicyMatcher(snapshot.With(pods: [relabelled with { Labels = relabelled.Labels.With("tier", "db") }])), new RulePlanOptions { NodeName = "node-000" });
        await backend.ApplyAsync(plan, new ApplyOptions { Full = true });
        var changes = new List<double>();
        var sizes = new List<int>();
        for (var i = 0; i < 21; i++)
        {
            var result = await backend.ApplyAsync(i % 2 == 0 ? withPod : plan);
            changes.Add(result.Duration.TotalMilliseconds);
            sizes.Add(result.ElementsAdded + result.ElementsRemoved + result.ObjectsAdded + result.ObjectsRemoved);
        }

        Measure.Report("apply after one pod added/removed (incremental)", changes, limit: 5);
        var renderAndDiff = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            _ = backend.RenderChanges(i % 2 == 0 ? withPod : plan);
            renderAndDiff.Add(watch.Elapsed.TotalMilliseconds);
        }

        Measure.Report("  of which render + diff (no kernel call)", renderAndDiff);
        Console.WriteLine($"  (median {Measure.Median(sizes.Select(s => (double)s).ToList())} objects/elements changed per apply)");
        var labels = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            labels.Add((await backend.ApplyAsync(i % 2 == 0 ? withLabel : plan)).Duration.TotalMilliseconds);
        }

        Measure.Report("apply after one label changed (incremental)", labels, limit: 5);
        var snapshotWithPod = snapshot.With(pods: [extra]);
        Measure.Report("  compile after the change (for reference)", Measure.Runs(5, () => RulePlanCompiler.Compile(new PolicyMatcher(snapshotWithPod), new RulePlanOptions { NodeName = "node-000" })));

        // Rule count as peers grow from 1,000 to 100,000 addresses.
        foreach (var peers in new[] { 1_000, 100_000 })
        {
            var big = PeersPlan(peers);
            var state = backend.RenderNative(big);
            var rules = state.Split('\n').Count(l => l.Contains(" return comment", StringComparison.Ordinal) || l.Contains("drop comment", StringComparison.Ordinal) || l.Contains("vmap", StringComparison.Ordinal) || l.StartsWith("\t\tct ", StringComparison.Ordinal));
            var applied = FullApplies(backend, big, 3);
            Measure.Report($"full apply with {peers:N0} peer addresses ({rules} rules)", applied);
        }

        await backend.RemoveAllAsync();
        File.Delete(file);
    }

    internal static RulePlan PeersPlan(int peers)
    {
        var builder = new ClusterBuilder().Namespace("x").Namespace("clients")
            .Pod("x/web", "10.0.0.1", "app=web", node: "n")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: clients}}}], ports: [{port: 80}]}]
                """);
        for (var i = 0; i < peers; i++)
        {
            builder.Pod($"clients/c{i}", $"10.{1 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}", node: "m");
        }

        return RulePlanCompiler.Compile(builder.Build(), new RulePlanOptions { NodeName = "n" });
    }

    private static List<double> FullApplies(NftablesFirewallBackend backend, NetPolHost.Planning.RulePlan plan, int runs)
    {
        var times = new List<double>(runs);
        for (var i = 0; i <= runs; i++)
        {
            backend.RemoveAllAsync().GetAwaiter().GetResult();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var result = backend.ApplyAsync(plan).GetAwaiter().GetResult();
            watch.Stop();
            if (!result.Changed)
            {
                throw new InvalidOperationException("the full apply changed nothing");
            }

            if (i > 0)
            {
                times.Add(watch.Elapsed.TotalMilliseconds); // the first run warms up
            }
        }

        return times;
    }
}
