using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NetPolHost.Hosting.Agent;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 7: the node agent with a 10,000-pod snapshot from files, enforcing with nftables in a lab namespace:
/// memory once the first state is in force, and time from a file change to the rules being in the kernel.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class AgentBenchmarks
{
    public static async Task RunAsync()
    {
        if (Namespaces.UnavailableReason() is { } reason)
        {
            Console.WriteLine("agent benchmarks skipped: " + reason);
            return;
        }

        await using var lab = NetworkLab.Create();
        var node = lab.AddNode("agent");
        var dir = Path.Combine(Path.GetTempPath(), "netpolhost-agent-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "cluster.yaml"), LargeCluster.Yaml());
        var before = GC.GetTotalMemory(forceFullCollection: true);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddNetPolHost()
            .UseNftables(o =>
            {
                o.NetworkNamespace = node;
                o.DeleteConntrackEntriesOfDeniedFlows = false;
            })
            .AddNodeAgent(o =>
            {
                o.NodeName = "node-000";
                o.Debounce = TimeSpan.FromMilliseconds(50);
            })
            .AddFileSource(dir);
        using var host = builder.Build();
        var watch = Stopwatch.StartNew();
        await host.StartAsync();
        var status = host.Services.GetRequiredService<IAgentStatusProvider>();
        while (!status.Current.Ready)
        {
            await Task.Delay(20);
        }

        Console.WriteLine($"agent: first state in force {watch.ElapsedMilliseconds} ms after start ({status.Current.PlanSummary})");
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        Console.WriteLine($"agent memory with the 10,000-pod snapshot in force: managed heap {managed / 1024.0 / 1024.0:F0} MiB (before the agent: {before / 1024.0 / 1024.0:F0} MiB), working set {process.WorkingSet64 / 1024.0 / 1024.0:F0} MiB");

        var extra = Path.Combine(dir, "extra.yaml");
        var seen = new List<double>();
        var endToEnd = new List<double>();
        for (var i = 0; i < 11; i++)
        {
            var applies = status.Current.Applies;
            var write = DateTimeOffset.UtcNow;
            await File.WriteAllTextAsync(extra, $"""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {'{'}name: extra, namespace: ns-00{i % 2}{'}'}
                spec:
                  podSelector: {'{'}{'}'}
                  ingress: [{'{'}ports: [{'{'}port: {5000 + i}{'}'}]{'}'}]
                """);
            while (status.Current.Applies == applies)
            {
                await Task.Delay(2);
            }

            seen.Add(status.Current.LastLatency!.Value.TotalMilliseconds);
            endToEnd.Add((status.Current.LastAppliedAt!.Value - write).TotalMilliseconds);
        }

        Measure.Report("file change to rules in the kernel (written -> applied)", endToEnd);
        Measure.Report("  of which change seen -> applied (debounce 50 ms)", seen);
        await host.StopAsync();
        await host.Services.GetRequiredService<NetPolHost.Backends.IFirewallBackend>().RemoveAllAsync();
        Directory.Delete(dir, recursive: true);
    }
}
