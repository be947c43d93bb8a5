using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NetPolHost.Hosting.Agent;
using NetPolHost.Model;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Hosting.Tests;

/// <summary>The node agent against a watched directory, enforcing with nftables in a lab namespace: writing, changing
/// and deleting policy files changes what real packets can pass within one second, with no lost packets for a flow
/// that stays allowed.</summary>
[Trait("Category", "Integration")]
public sealed class AgentKernelTests
{
    private const string Cluster = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: x}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: "y"}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: x, labels: {pod: a}}
        spec: {nodeName: node-1}
        status: {podIP: 10.244.1.17}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: b, namespace: x, labels: {pod: b}}
        spec: {nodeName: node-1}
        status: {podIP: 10.244.1.33}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: "y", labels: {pod: a}}
        spec: {nodeName: node-1}
        status: {podIP: 10.244.2.17}
        """;

    private const string DenyY = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: "y"}
        spec: {podSelector: {}, policyTypes: [Ingress]}
        """;

    private const string Allow81FromX = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: "y"}
        spec:
          podSelector: {}
          ingress:
          - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}}}]
            ports: [{port: 81}]
        """;

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Agent_FileChanges_ReachTheKernelWithinASecond_WithoutDroppingAllowedFlows()
    {
        Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);
        var token = TestContext.Current.CancellationToken;
        await using var lab = NetworkLab.Create();
        var node = lab.AddNode("node");
        lab.AddPod(node, "x/a", IPAddress.Parse("10.244.1.17"));
        lab.AddPod(node, "x/b", IPAddress.Parse("10.244.1.33"));
        lab.AddPod(node, "y/a", IPAddress.Parse("10.244.2.17"));
        lab.Serve([80, 81], []);
        using var dir = new TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "cluster.yaml"), Cluster, token);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddNetPolHost()
            .UseNftables(o => o.NetworkNamespace = node)
            .AddNodeAgent(o =>
            {
                o.NodeName = "node-1";
                o.Debounce = TimeSpan.FromMilliseconds(100);
            })
            .AddFileSource(o =>
            {
                o.Paths.Add(dir.Path);
                o.PollInterval = TimeSpan.FromSeconds(1);
            });
        using var host = builder.Build();
        await host.StartAsync(token);
        var status = host.Services.GetRequiredService<IAgentStatusProvider>();
        await Until(() => status.Current.Ready, TimeSpan.FromSeconds(10));

        // A flow that stays allowed throughout, probed continuously with new connections.
        using var stop = new CancellationTokenSource();
        var lost = 0;
        var probes = 0;
        var prober = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (!await lab.ProbeAsync("x/a", IPAddress.Parse("10.244.1.33"), 80, Protocol.Tcp, TimeSpan.FromMilliseconds(900)))
                {
                    Interlocked.Increment(ref lost);
                }

                Interlocked.Increment(ref probes);
                await Task.Delay(20);
            }
        }, token);

        var latencies = new List<double>();
        var yA = IPAddress.Parse("10.244.2.17");
        Assert.True(await lab.ProbeAsync("x/a", yA, 80, Protocol.Tcp, TimeSpan.FromSeconds(1)));

        // Write: y is isolated. New connections are refused, and an established one is cut (its conntrack entry is
        // deleted in the background, after the rules are in).
        using var established = await lab.ConnectAsync("x/a", yA, 80);
        Assert.True(await NetworkLab.EchoAsync(established, TimeSpan.FromSeconds(2)));
        var file = Path.Combine(dir.Path, "policy.yaml");
        latencies.Add(await TimeUntil(() => File.WriteAllText(file, DenyY), async () => !await lab.ProbeAsync("x/a", yA, 80, Protocol.Tcp, TimeSpan.FromMilliseconds(150))));
        var cut = Stopwatch.StartNew();
        while (await NetworkLab.EchoAsync(established, TimeSpan.FromMilliseconds(300)))
        {
            Assert.True(cut.Elapsed < TimeSpan.FromSeconds(3), "the established connection was not cut within 3 s of the deny reaching the kernel");
        }

        // Change: port 81 from namespace x is allowed.
        latencies.Add(await TimeUntil(() => File.WriteAllText(file, Allow81FromX), () => lab.ProbeAsync("x/a", yA, 81, Protocol.Tcp, TimeSpan.FromMilliseconds(150))));
        Assert.False(await lab.ProbeAsync("x/a", yA, 80, Protocol.Tcp));
        Assert.False(await lab.ProbeAsync("x/b", yA, 80, Protocol.Tcp));

        // An invalid edit is reported and the last valid state stays enforced.
        await File.WriteAllTextAsync(file, Allow81FromX.Replace("port: 81", "port: 70000", StringComparison.Ordinal), token);
        await Until(() => status.Current.LastError is not null, TimeSpan.FromSeconds(3));
        Assert.Contains("expected a port number between 1 and 65535, found 70000", status.Current.LastError, StringComparison.Ordinal);
        Assert.True(await lab.ProbeAsync("x/a", yA, 81, Protocol.Tcp, TimeSpan.FromSeconds(1)));

        // Delete: y is open again.
        latencies.Add(await TimeUntil(() => File.Delete(file), () => lab.ProbeAsync("x/a", yA, 80, Protocol.Tcp, TimeSpan.FromMilliseconds(150))));

        await stop.CancelAsync();
        await prober;
        await host.StopAsync(token);

        Assert.All(latencies, l => Assert.True(l < 1000, $"a change took {l:F0} ms to reach the kernel"));
        Assert.True(probes > 10, $"only {probes} probes");
        Assert.Equal(0, lost);
        TestContext.Current.SendDiagnosticMessage($"file change to enforced (observed by probes): {string.Join(", ", latencies.Select(l => l.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))} ms; {probes} probes of the allowed flow, none lost");
    }

    private static async Task<double> TimeUntil(Action change, Func<Task<bool>> observed)
    {
        var watch = Stopwatch.StartNew();
        change();
        while (!await observed())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), "the change did not reach the kernel within 3 s");
            await Task.Delay(10);
        }

        return watch.Elapsed.TotalMilliseconds;
    }

    private static async Task Until(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < timeout, "timed out");
            await Task.Delay(20);
        }
    }
}
