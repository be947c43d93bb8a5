using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NetPolHost.Hosting.Agent;
using NetPolHost.Matching;
using NetPolHost.Nftables;
using NetPolHost.Parsing;
using NetPolHost.Planning;
using NetPolHost.Sources;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 15: the agent's way from a changed file to rules in the kernel, stage by stage, on the 10,000-pod
/// cluster: load (stat the files, parse the changed one, merge, snapshot), index, compile, render + diff, kernel apply.
/// Changes cycle through a pod added/removed, a local pod relabelled, a namespace relabelled and a policy edited.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class StageBenchmarks
{
    private const string Node = "node-000";

    public static async Task RunAsync(int changes = 80)
    {
        if (Namespaces.UnavailableReason() is { } reason)
        {
            Console.WriteLine("stage benchmarks skipped: " + reason);
            return;
        }

        var dir = Path.Combine(Path.GetTempPath(), "netpolhost-stages-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        try
        {
            var change = ChangeFiles.Create(dir);
            var loader = new ManifestLoader(new ManifestLoaderOptions { ReuseUnchangedFiles = true });
            var options = new RulePlanOptions { NodeName = Node };
            var snapshot = loader.LoadPaths([dir]).GetSnapshotOrThrow();
            var plan = RulePlanCompiler.Compile(new PolicyMatcher(snapshot), options);
            var session = new IncrementalPlanCompiler(options);
            session.Compile(snapshot);
            await using var lab = NetworkLab.Create();
            var ns = lab.AddNode("stages");
            using var backend = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = ns, DeleteConntrackEntriesOfDeniedFlows = false });
            await backend.ApplyAsync(plan);

            var stages = new Stages();
            var incrementalStages = new Stages();
            for (var i = 0; i < changes + 4; i++)
            {
                var kind = change.Next(i);
                var load = Stopwatch.StartNew();
                snapshot = loader.LoadPaths([dir]).GetSnapshotOrThrow();
                var loadMs = load.Elapsed.TotalMilliseconds;
                var index = Stopwatch.StartNew();
                var matcher = new PolicyMatcher(snapshot);
                var indexMs = index.Elapsed.TotalMilliseconds;
                var compile = Stopwatch.StartNew();
                plan = RulePlanCompiler.Compile(matcher, options);
                var compileMs = compile.Elapsed.TotalMilliseconds;
                var incremental = Stopwatch.StartNew();
                var incrementalPlan = session.Compile(snapshot);
                var incrementalMs = incremental.Elapsed.TotalMilliseconds;
                if (!incrementalPlan.Equals(plan))
                {
                    throw new InvalidOperationException($"step {i} ({kind}): the incremental plan differs from the full compile");
                }

                var render = Stopwatch.StartNew();
                _ = backend.RenderChanges(plan);
                var renderMs = render.Elapsed.TotalMilliseconds;
                var result = await backend.ApplyAsync(plan);
                var applyMs = result.Duration.TotalMilliseconds;
                if (i < 4)
                {
                    continue; // one warm-up round of each kind
                }

                stages.Add("load: stat files, parse the changed one, merge, snapshot", loadMs);
                stages.Add("index (PolicyMatcher over the snapshot)", indexMs);
                stages.Add("compile the node's plan (full)", compileMs);
                stages.Add("render + diff (no kernel call)", renderMs);
                stages.Add("kernel apply (apply - render + diff)", Math.Max(0, applyMs - renderMs));
                stages.Add("change -> kernel (sum of the stages)", loadMs + indexMs + compileMs + applyMs);
                stages.Add("  " + kind + ": change -> kernel", loadMs + indexMs + compileMs + applyMs);
                incrementalStages.Add("index + compile, incremental (IncrementalPlanCompiler)", incrementalMs);
                incrementalStages.Add("change -> rules: index + compile + apply, incremental", incrementalMs + applyMs);
                incrementalStages.Add("change -> kernel: load + index + compile + apply, incremental", loadMs + incrementalMs + applyMs);
                incrementalStages.Add("  " + kind + ": index + compile, incremental", incrementalMs);
            }

            Console.WriteLine($"agent stages, full pipeline, {changes} changes (pod added/removed, pod relabelled, namespace relabelled, policy edited), {Node}:");
            stages.Print(new Dictionary<string, (double P50, double P99)>
            {
                ["change -> kernel (sum of the stages)"] = (20, 60),
                ["kernel apply (apply - render + diff)"] = (2, double.NaN),
            });
            Console.WriteLine("the same changes, compiled incrementally (every plan equal to the full compile's):");
            incrementalStages.Print(new Dictionary<string, (double P50, double P99)>
            {
                ["change -> rules: index + compile + apply, incremental"] = (20, 60),
                ["change -> kernel: load + index + compile + apply, incremental"] = (20, 60),
            });
            await backend.RemoveAllAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The node agent itself (nftables in a lab namespace, debounce 0) fed by a source that hands over each
    /// loaded snapshot: time from the hand-over to the rules in the kernel (the agent's own latency), plus the load, and
    /// the process's memory with the 10,000-pod snapshot in force, after the first apply and after the changes.</summary>
    public static async Task RunAgentAsync(int changes = 200)
    {
        if (Namespaces.UnavailableReason() is { } reason)
        {
            Console.WriteLine("agent stage benchmarks skipped: " + reason);
            return;
        }

        var dir = Path.Combine(Path.GetTempPath(), "netpolhost-agent15-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        try
        {
            var change = ChangeFiles.Create(dir);
            var loader = new ManifestLoader(new ManifestLoaderOptions { ReuseUnchangedFiles = true });
            await using var lab = NetworkLab.Create();
            var ns = lab.AddNode("agent15");
            var source = new PushSource();
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddSingleton<IClusterSource>(source);
            builder.Services.AddNetPolHost()
                .UseNftables(o =>
                {
                    o.NetworkNamespace = ns;
                    o.DeleteConntrackEntriesOfDeniedFlows = false;
                })
                .AddNodeAgent(o =>
                {
                    o.NodeName = Node;
                    o.Debounce = TimeSpan.Zero;
                });
            using var host = builder.Build();
            await host.StartAsync();
            var status = host.Services.GetRequiredService<IAgentStatusProvider>();
            source.Push(loader.LoadPaths([dir]).GetSnapshotOrThrow());
            while (!status.Current.Ready)
            {
                await Task.Delay(10);
            }

            Memory("agent memory after the first full apply (10,000-pod snapshot in force)");
            var stages = new Stages();
            var unchanged = 0;
            for (var i = 0; i < changes; i++)
            {
                var kind = change.Next(i);
                var load = Stopwatch.StartNew();
                var snapshot = loader.LoadPaths([dir]).GetSnapshotOrThrow();
                var loadMs = load.Elapsed.TotalMilliseconds;
                var applies = status.Current.Applies;
                source.Push(snapshot);
                var waited = Stopwatch.StartNew();
                while (status.Current.Applies == applies && waited.ElapsedMilliseconds < 2000)
                {
                    await Task.Delay(1);
                }

                if (status.Current.Applies == applies)
                {
                    unchanged++;
                    continue;
                }

                var agentMs = status.Current.LastLatency!.Value.TotalMilliseconds;
                stages.Add("agent: update handed over -> rules in the kernel (debounce 0)", agentMs);
                stages.Add("agent: + load of the changed file (file source without its settle delay)", loadMs + agentMs);
                stages.Add("  " + kind + ": agent, handed over -> kernel", agentMs);
            }

            Console.WriteLine($"the node agent (IncrementalPlanCompiler, nftables), {changes} changes ({unchanged} changed nothing in the kernel):");
            stages.Print(new Dictionary<string, (double P50, double P99)>
            {
                ["agent: update handed over -> rules in the kernel (debounce 0)"] = (20, 60),
                ["agent: + load of the changed file (file source without its settle delay)"] = (20, 60),
            });
            Memory($"agent memory after {changes} more changes");
            await host.StopAsync();
            await host.Services.GetRequiredService<NetPolHost.Backends.IFirewallBackend>().RemoveAllAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Memory(string what)
    {
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var workingSet = process.WorkingSet64 / 1024.0 / 1024.0;
        var heap = managed / 1024.0 / 1024.0;
        Console.WriteLine($"  {what}: managed heap {heap:F0} MiB (target <= 40: {(heap <= 40 ? "met" : "NOT met")}), working set {workingSet:F0} MiB (target <= 100: {(workingSet <= 100 ? "met" : "NOT met")}); GC: server {System.Runtime.GCSettings.IsServerGC}, latency {System.Runtime.GCSettings.LatencyMode}, DOTNET_GCConserveMemory={Environment.GetEnvironmentVariable("DOTNET_GCConserveMemory") ?? "unset"}, DOTNET_gcConcurrent={Environment.GetEnvironmentVariable("DOTNET_gcConcurrent") ?? "unset"}, DOTNET_GCHeapHardLimit={Environment.GetEnvironmentVariable("DOTNET_GCHeapHardLimit") ?? "unset"}");
    }

    /// <summary>A source the benchmark hands snapshots to.</summary>
    private sealed class PushSource : IClusterSource
    {
        private readonly Channel<ClusterSnapshotUpdate> _updates = Channel.CreateUnbounded<ClusterSnapshotUpdate>();

        public string Name => "bench";

        public void Push(NetPolHost.Model.ClusterSnapshot snapshot) => _updates.Writer.TryWrite(new ClusterSnapshotUpdate(snapshot, DateTimeOffset.UtcNow));

        public async Task RunAsync(Func<SourceUpdate, CancellationToken, ValueTask> report, CancellationToken cancellationToken)
        {
            await foreach (var update in _updates.Reader.ReadAllAsync(cancellationToken))
            {
                await report(new SourceUpdate(Name, update.Snapshot, [], update.At), cancellationToken);
            }
        }

        private sealed record ClusterSnapshotUpdate(NetPolHost.Model.ClusterSnapshot Snapshot, DateTimeOffset At);
    }

    /// <summary>Per-stage samples, reported as p50 and p99 with their targets.</summary>
    internal sealed class Stages
    {
        private readonly Dictionary<string, List<double>> _samples = [];
        private readonly List<string> _order = [];

        public void Add(string stage, double milliseconds)
        {
            if (!_samples.TryGetValue(stage, out var list))
            {
                _samples[stage] = list = [];
                _order.Add(stage);
            }

            list.Add(milliseconds);
        }

        public IReadOnlyList<double> this[string stage] => _samples[stage];

        public void Print(IReadOnlyDictionary<string, (double P50, double P99)>? targets = null)
        {
            foreach (var stage in _order)
            {
                var values = _samples[stage];
                var p50 = Percentile(values, 50);
                var p99 = Percentile(values, 99);
                var target = string.Empty;
                if (targets is not null && targets.TryGetValue(stage, out var t))
                {
                    target = $"  (target p50 <= {Measure.Format(t.P50)} ms: {(p50 <= t.P50 ? "met" : "NOT met")}"
                        + (double.IsNaN(t.P99) ? ")" : $", p99 <= {Measure.Format(t.P99)} ms: {(p99 <= t.P99 ? "met" : "NOT met")})");
                }

                Console.WriteLine($"  {stage,-62} p50 {Measure.Format(p50),8} ms   p99 {Measure.Format(p99),8} ms   n {values.Count}{target}");
            }
        }
    }

    /// <summary>The nearest-rank percentile.</summary>
    internal static double Percentile(IReadOnlyList<double> values, double percent)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The 10,000-pod cluster in a directory: cluster.yaml, and change.yaml with what the changes touch
    /// (namespace ns-001, its pod pod-00001 on node-000, a policy, and a pod that comes and goes on another node).</summary>
    internal sealed class ChangeFiles
    {
        private readonly string _path;
        private bool _podPresent;
        private bool _relabelled;
        private bool _namespaceRelabelled;
        private int _policyPort = 7000;

        private ChangeFiles(string path) => _path = path;

        public static ChangeFiles Create(string dir)
        {
            var documents = LargeCluster.Yaml().Split("---\n", StringSplitOptions.RemoveEmptyEntries);
            var kept = documents.Where(d => !d.Contains("name: ns-001\n  labels", StringComparison.Ordinal) && !d.Contains("name: pod-00001\n", StringComparison.Ordinal));
            File.WriteAllText(Path.Combine(dir, "cluster.yaml"), string.Join("---\n", kept));
            var files = new ChangeFiles(Path.Combine(dir, "change.yaml"));
            files.Write();
            return files;
        }

        /// <summary>Makes the next change (by turn) and returns what it was.</summary>
        public string Next(int step)
        {
            string kind;
            switch (step % 4)
            {
                case 0:
                    _podPresent = !_podPresent;
                    kind = _podPresent ? "pod added" : "pod removed";
                    break;
                case 1:
                    _relabelled = !_relabelled;
                    kind = "pod relabelled";
                    break;
                case 2:
                    _namespaceRelabelled = !_namespaceRelabelled;
                    kind = "namespace relabelled";
                    break;
                default:
                    _policyPort = _policyPort == 7000 ? 7001 : 7000;
                    kind = "policy edited";
                    break;
            }

            Write();
            return kind;
        }

        public string Yaml()
        {
            var text = """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: ns-001
                  labels: {team: t1, env: ENV}
                ---
                apiVersion: v1
                kind: Pod
                metadata:
                  name: pod-00001
                  namespace: ns-001
                  labels: {app: app-0, tier: TIER, version: v1, pod-template-hash: h00001}
                spec:
                  nodeName: node-000
                  containers:
                  - name: main
                    ports: [{name: http, containerPort: 8081}, {name: metrics, containerPort: 9090}]
                status: {podIP: 10.64.0.1, podIPs: [{ip: 10.64.0.1}]}
                ---

                """ + ChangeManifests.EditedPolicy(_policyPort);
            var pod = "---\n" + ChangeManifests.NewPod;
            return text.Replace("ENV", _namespaceRelabelled ? "prod" : "staging", StringComparison.Ordinal)
                .Replace("TIER", _relabelled ? "db" : "api", StringComparison.Ordinal)
                + (_podPresent ? pod : string.Empty);
        }

        private void Write()
        {
            // A new write time every time, even within the file system's time granularity.
            File.WriteAllText(_path, Yaml());
            File.SetLastWriteTimeUtc(_path, DateTime.UtcNow.AddSeconds(_writes++));
        }

        private int _writes;
    }
}
