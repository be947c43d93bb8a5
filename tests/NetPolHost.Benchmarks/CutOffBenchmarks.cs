using System.Diagnostics;
using System.Globalization;
using System.Net;
using NetPolHost.Nftables;
using NetPolHost.Parsing;
using NetPolHost.Planning;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 15: the conntrack cut-off after a deny. Entries of 20,000 half-open connections (SYNs with new source
/// ports) are cut in-process over ctnetlink, in the background: entries deleted per second, and the time of an apply that
/// comes while the cut-off runs, against the same apply on an idle backend; the conntrack program's one-process-per-entry
/// deletion (the way before) for comparison.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class CutOffBenchmarks
{
    private const int Entries = 20_000;

    public static async Task RunAsync()
    {
        if (Namespaces.UnavailableReason() is { } reason)
        {
            Console.WriteLine("cut-off benchmarks skipped: " + reason);
            return;
        }

        await using var lab = NetworkLab.Create();
        var node = lab.AddNode("cut");
        var a = IPAddress.Parse("10.244.1.17");
        var b = IPAddress.Parse("10.244.1.33");
        lab.AddPod(node, "a", a);
        lab.AddPod(node, "b", b);

        // A listener, so the SYNs' entries live on (a SYN answered by a reset ends its entry at once).
        lab.Serve([80], []);
        var allow = Plan(a, b, "ingress: [{}]");
        var deny = Plan(a, b, "ingress: []");
        var allow81 = Plan(a, b, "ingress: [{ports: [{port: 81}]}]");
        using var backend = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = node });

        var passes = new List<double>();
        var rates = new List<double>();
        var during = new List<double>();
        var idle = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            // The rate: a deny whose pass cuts every entry, alone.
            await backend.ApplyAsync(allow);
            await backend.WaitForConnectionCutOffAsync();
            var sent = SynFlood.Send(lab.Pods["a"].Namespace, a, b, 80, Entries);
            var tracked = Namespaces.Run("ip", ["netns", "exec", node, "conntrack", "-C"]).Trim();
            await backend.ApplyAsync(deny);
            var report = await backend.WaitForConnectionCutOffAsync();
            passes.Add(report.LastDuration.TotalMilliseconds);
            rates.Add(report.LastEntriesDeleted / report.LastDuration.TotalSeconds);
            Console.WriteLine($"  round {round + 1}: {sent:N0} SYNs sent, {tracked} entries tracked, the deny's pass deleted {report.LastEntriesDeleted:N0} in {report.LastDuration.TotalMilliseconds:F0} ms");

            // The next apply comes at once after such a deny, while its pass runs...
            await backend.ApplyAsync(allow);
            await backend.WaitForConnectionCutOffAsync();
            SynFlood.Send(lab.Pods["a"].Namespace, a, b, 80, Entries);
            await backend.ApplyAsync(deny);
            var watch = Stopwatch.StartNew();
            await backend.ApplyAsync(allow81);
            during.Add(watch.Elapsed.TotalMilliseconds);
            await backend.WaitForConnectionCutOffAsync();

            // ...and the same apply on an idle backend.
            await backend.ApplyAsync(deny);
            await backend.WaitForConnectionCutOffAsync();
            watch.Restart();
            await backend.ApplyAsync(allow81);
            idle.Add(watch.Elapsed.TotalMilliseconds);
            await backend.WaitForConnectionCutOffAsync();
        }

        Measure.Report($"cut-off pass over {Entries:N0} denied entries (list, decide, delete)", passes);
        Console.WriteLine($"{"  entries deleted per second (in-process, batched)",-58} median {Measure.Median(rates).ToString("N0", CultureInfo.InvariantCulture),10}");
        Measure.Report("apply at once after that deny (its cut-off running)", during);
        Measure.Report("the same apply, cut-off idle", idle);
        Console.WriteLine($"  the apply does not wait for the cut-off; on 2 cores the two share the CPU (ratio {Measure.Median(during) / Measure.Median(idle):F2})");

        // The way before: one conntrack -D process per entry.
        await backend.ApplyAsync(allow);
        await backend.WaitForConnectionCutOffAsync();
        const int ByProcess = 300;
        SynFlood.Send(lab.Pods["a"].Namespace, a, b, 80, ByProcess);
        var ports = Namespaces.Run("ip", ["netns", "exec", node, "conntrack", "-L", "-p", "tcp", "-s", a.ToString(), "--dport", "80"])
            .Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(p => p.StartsWith("sport=", StringComparison.Ordinal)))
            .OfType<string>().Take(ByProcess).ToList();
        var byProcess = Stopwatch.StartNew();
        foreach (var port in ports)
        {
            Namespaces.Run("ip", ["netns", "exec", node, "conntrack", "-D", "-p", "tcp", "-s", a.ToString(), "-d", b.ToString(), "--sport", port[6..], "--dport", "80"]);
        }

        Console.WriteLine($"{"  the conntrack program, one process per entry",-58} {ports.Count / byProcess.Elapsed.TotalSeconds,17:N0} entries/s ({ports.Count} entries)");
        await backend.RemoveAllAsync();
    }

    private static RulePlan Plan(IPAddress a, IPAddress b, string ingress) =>
        RulePlanCompiler.Compile(ManifestLoader.LoadText($"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: x
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: a
              namespace: x
              labels:
                app: a
            spec:
              nodeName: node-1
            status:
              podIPs:
              - ip: {a}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: b
              namespace: x
              labels:
                app: b
            spec:
              nodeName: node-1
            status:
              podIPs:
              - ip: {b}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: b
              namespace: x
            spec:
              podSelector:
                matchLabels:
                  app: b
              {ingress}
            """, "cutoff.yaml").GetSnapshotOrThrow(), new RulePlanOptions { NodeName = "node-1" });
}
