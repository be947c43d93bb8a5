using System.Diagnostics;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Parsing;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 15, scale targets: 50,000 pods in 100 namespaces of 500, 5,000 policies, 500 nodes (100 pods each).
/// Load and index, the plan of one node, the matrix of one namespace (as <c>matrix --namespace NS</c> builds it), and
/// incremental changes through <see cref="IncrementalPlanCompiler"/> (the agent's compiler).</summary>
internal static class ScaleBenchmarks
{
    private const string Node = "node-000";
    private const int Pods = 50_000;
    private const int Namespaces = 100;
    private const int Policies = 5_000;
    private const int PodsPerNode = 100;

    public static void Run(int loads = 3, int compiles = 5, int matrices = 5, int changes = 52)
    {
        var yaml = LargeCluster.Yaml(Pods, Namespaces, Policies, PodsPerNode) + ChangeManifests.EditedPolicy(7000);
        Console.WriteLine($"scale cluster: {yaml.Length / 1024 / 1024.0:F1} MiB of YAML ({Pods:N0} pods, {Namespaces} namespaces of {Pods / Namespaces} pods, {Policies:N0} policies, {Pods / PodsPerNode} nodes)");
        ClusterSnapshot snapshot = null!;
        PolicyMatcher matcher = null!;
        var loadMs = new List<double>();
        var indexMs = new List<double>();
        var totalMs = new List<double>();
        for (var i = 0; i < loads + 1; i++)
        {
            snapshot = null!;
            matcher = null!;
            GC.Collect();
            var load = Stopwatch.StartNew();
            snapshot = ManifestLoader.LoadText(yaml, "scale.yaml").GetSnapshotOrThrow();
            var loaded = load.Elapsed.TotalMilliseconds;
            var index = Stopwatch.StartNew();
            matcher = new PolicyMatcher(snapshot);
            var indexed = index.Elapsed.TotalMilliseconds;
            if (i == 0)
            {
                continue; // warm-up
            }

            loadMs.Add(loaded);
            indexMs.Add(indexed);
            totalMs.Add(loaded + indexed);
        }

        Measure.Report("scale: load (parse + validate the YAML)", loadMs);
        Measure.Report("scale: index (PolicyMatcher over the snapshot)", indexMs);
        Measure.Report("scale: load and index", totalMs, limit: 5000);
        yaml = null!;
        var heap = GC.GetTotalMemory(forceFullCollection: true) / 1024.0 / 1024.0;
        Console.WriteLine($"  managed heap after loading (snapshot + index live, YAML text dropped): {heap:F0} MiB");

        var options = new RulePlanOptions { NodeName = Node };
        RulePlan plan = null!;
        Measure.Report($"scale: compile {Node}'s plan (indexed snapshot)", Measure.Runs(compiles, () => plan = RulePlanCompiler.Compile(matcher, options)), limit: 300);
        Console.WriteLine($"  ({plan.DescribeEndpointCount()}, {plan.Rules.Count} rules, {plan.Rules.Sum(r => r.Peers.Hosts.Count):N0} peer addresses, {plan.Rules.Sum(r => r.Peers.Ranges.Count)} ranges)");

        // What 'netpolhost matrix --namespace ns-001' builds: rows and columns are the namespace's pods, probes every
        // (port, protocol) they serve. The API takes one list of endpoints for both rows and columns.
        var chosen = snapshot.Pods.Where(p => p.Namespace == "ns-001").Select(p => FlowEndpoint.ForPod(p.Namespace, p.Name)).ToArray();
        TruthTable table = null!;
        Measure.Report($"scale: matrix of ns-001 ({chosen.Length} x {chosen.Length}, its served ports)", Measure.Runs(matrices, () => table = matcher.BuildTruthTable(chosen)), limit: 200);
        Console.WriteLine($"  ({table.Probes.Count} probes: {string.Join(", ", table.Probes.Select(p => p.Probe))}; {table.Probes.Sum(p => p.Allowed.CountTrue()):N0} allowed cells)");
        Measure.Report($"scale: matrix of ns-001 ({chosen.Length} x {chosen.Length}, one port 8080)", Measure.Runs(matrices, () => table = matcher.BuildTruthTable(chosen, [new PortProbe(8080)])), limit: 200);

        Incremental(snapshot, options, changes);
    }

    /// <summary>Changes by turn (a pod on another node added or removed, a local pod relabelled, a policy edited), each
    /// snapshot made beforehand; times <see cref="IncrementalPlanCompiler.Compile"/> only. Every 4th plan is checked
    /// against a full compile.</summary>
    private static void Incremental(ClusterSnapshot snapshot, RulePlanOptions options, int changes)
    {
        var extra = ManifestLoader.LoadText(NamespaceYaml + ChangeManifests.NewPod + "---\n" + ChangeManifests.EditedPolicy(7001), "change.yaml").GetSnapshotOrThrow();
        var newPod = extra.Pods.Single();
        var edited = new[] { snapshot.Policies.Single(p => p.Name == "edited"), extra.Policies.Single() };
        var local = snapshot.Pods.First(p => p.NodeName == Node);
        var relabelled = new[] { local, local with { Labels = RelabelledLabels() } };
        var session = new IncrementalPlanCompiler(options);
        session.Compile(snapshot);
        var all = new List<double>();
        var byKind = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var current = snapshot;
        var podPresent = false;
        var relabelledNow = false;
        var policyEdited = false;
        var checkedPlans = 0;
        for (var i = 0; i < changes + 4; i++)
        {
            string kind;
            switch (i % 4)
            {
                case 0:
                    podPresent = !podPresent;
                    kind = podPresent ? "pod added" : "pod removed";
                    current = podPresent
                        ? current.With(pods: [newPod])
                        : ClusterSnapshot.Create(current.Namespaces, current.Pods.Where(p => !ReferenceEquals(p, newPod)), current.Nodes, current.HostEndpoints, current.Policies, current.ClusterPolicies, current.Services);
                    break;
                case 1:
                    relabelledNow = !relabelledNow;
                    kind = "pod relabelled";
                    current = current.With(pods: [relabelled[relabelledNow ? 1 : 0]]);
                    break;
                case 2:
                    policyEdited = !policyEdited;
                    kind = "policy edited";
                    current = current.With(policies: [edited[policyEdited ? 1 : 0]]);
                    break;
                default:
                    kind = "policy edited";
                    policyEdited = !policyEdited;
                    current = current.With(policies: [edited[policyEdited ? 1 : 0]]);
                    break;
            }

            var watch = Stopwatch.StartNew();
            var plan = session.Compile(current);
            var ms = watch.Elapsed.TotalMilliseconds;
            if (i % 4 == 1 || i < 4)
            {
                checkedPlans++;
                if (!plan.Equals(RulePlanCompiler.Compile(current, options)))
                {
                    throw new InvalidOperationException($"step {i} ({kind}): the incremental plan differs from the full compile");
                }
            }

            if (i < 4)
            {
                continue; // one warm-up round of each kind
            }

            all.Add(ms);
            if (!byKind.TryGetValue(kind, out var list))
            {
                byKind[kind] = list = [];
            }

            list.Add(ms);
        }

        Console.WriteLine($"scale: {changes} changes (pod added/removed on node-050, local pod relabelled, policy edited), {Node}, {checkedPlans} plans checked equal to a full compile:");
        Print("scale: one change, incremental compile (IncrementalPlanCompiler)", all, 30);
        foreach (var (kind, list) in byKind)
        {
            Print("  " + kind, list, null);
        }
    }

    private static void Print(string name, List<double> values, double? p50Target)
    {
        var p50 = Percentile(values, 50);
        var p99 = Percentile(values, 99);
        var target = p50Target is { } t ? $"  (target p50 <= {Measure.Format(t)} ms: {(p50 <= t ? "met" : "NOT met")})" : string.Empty;
        Console.WriteLine($"  {name,-62} p50 {Measure.Format(p50),8} ms   p99 {Measure.Format(p99),8} ms   n {values.Count}{target}");
    }

    /// <summary>The nearest-rank percentile.</summary>
    private static double Percentile(List<double> values, double percent)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static LabelMap RelabelledLabels()
    {
        var yaml = NamespaceYaml + """
            apiVersion: v1
            kind: Pod
            metadata:
              name: x
              namespace: ns-001
              labels: {app: app-0, tier: db, version: v9}

            """;
        return ManifestLoader.LoadText(yaml, "relabel.yaml").GetSnapshotOrThrow().Pods.Single().Labels;
    }

    private const string NamespaceYaml = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: ns-001
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: ns-002
        ---

        """;
}
