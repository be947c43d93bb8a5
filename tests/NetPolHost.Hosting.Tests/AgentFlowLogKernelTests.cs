using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NetPolHost.Hosting.Agent;
using NetPolHost.Model;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Hosting.Tests;

/// <summary>The node agent with the flow log on, enforcing with nftables in a lab namespace: a denied connection's
/// record, read from NFLOG, is in the flow log file.</summary>
[Trait("Category", "Integration")]
public sealed class AgentFlowLogKernelTests
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
        metadata: {name: a, namespace: "y", labels: {pod: a}}
        spec: {nodeName: node-1}
        status: {podIP: 10.244.2.17}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: "y"}
        spec: {podSelector: {}, policyTypes: [Ingress]}
        """;

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Agent_WithFlowLog_WritesTheDeniedConnectionToTheFile()
    {
        Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);
        var token = TestContext.Current.CancellationToken;
        await using var run = await AgentRun.StartAsync(token);
        var (lab, flowLog) = (run.Lab, run.FlowLog);

        Assert.False(await lab.ProbeAsync("x/a", IPAddress.Parse("10.244.2.17"), 80, Protocol.Tcp));
        JsonElement? denied = null;
        await Until(
            () =>
            {
                denied = Records(flowLog).Cast<JsonElement?>().FirstOrDefault(r =>
                    r!.Value.GetProperty("destination").GetProperty("address").GetString() == "10.244.2.17" &&
                    r.Value.GetProperty("destination").GetProperty("port").GetInt32() == 80);
                return denied is not null;
            },
            "the denied connection's record in the flow log");
        var record = denied!.Value;
        Assert.Equal("deny", record.GetProperty("verdict").GetString());
        Assert.Equal("ingress", record.GetProperty("direction").GetString());
        Assert.Equal("tcp", record.GetProperty("protocol").GetString());
        Assert.Equal("10.244.1.17", record.GetProperty("source").GetProperty("address").GetString());
        Assert.Equal("y/a", record.GetProperty("destination").GetProperty("endpoint").GetString());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("policy").ValueKind);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Agent_WithFlowLog_AFloodOf10000DeniedSyns_LogsAtMostTheRateAndItsMemoryStaysFlat()
    {
        Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);
        var token = TestContext.Current.CancellationToken;
        await using var run = await AgentRun.StartAsync(token);
        var (lab, flowLog) = (run.Lab, run.FlowLog);
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();

        // 10,000 new connections x/a → y/a:80, all denied; the agent reads whatever the kernel's limit lets through.
        Assert.Equal(10_000, SynFlood.Send(lab.Pods["x/a"].Namespace, IPAddress.Parse("10.244.1.17"), IPAddress.Parse("10.244.2.17"), 80, 10_000));
        await Until(() => Records(flowLog).Count > 0, "the flood's first records");
        await Task.Delay(TimeSpan.FromSeconds(1.5), token);
        var records = Records(flowLog);
        watch.Stop();
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        // Default limit: a burst of 50, then 10 per second, over the whole time the flood and the read took.
        var bound = 50 + (10 * (int)Math.Ceiling(watch.Elapsed.TotalSeconds));
        Assert.InRange(records.Count, 1, bound);
        Assert.All(records, r => Assert.Equal("deny", r.GetProperty("verdict").GetString()));

        // Flat: the flood reaches the agent only as the limited records, so its managed heap does not grow with the
        // 10,000 packets (a loose bound: the test process shares the heap).
        var growth = heapAfter - heapBefore;
        TestContext.Current.TestOutputHelper?.WriteLine($"flood: {records.Count} records (bound {bound}) in {watch.Elapsed.TotalSeconds:F1} s; managed heap {heapBefore / 1024} KiB -> {heapAfter / 1024} KiB");
        Assert.True(growth < 8 * 1024 * 1024, $"managed heap grew by {growth / 1024} KiB during the flood");
    }

    /// <summary>A lab node with pods x/a and y/a serving TCP 80, and the node agent enforcing <see cref="Cluster"/> there
    /// with nftables, its flow log written to <see cref="FlowLog"/>; started and past its first apply.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private sealed class AgentRun : IAsyncDisposable
    {
        private readonly TempDir _manifests = new();
        private readonly TempDir _logs = new();
        private IHost? _host;

        private AgentRun()
        {
            Lab = NetworkLab.Create();
            FlowLog = Path.Combine(_logs.Path, "flows.jsonl");
        }

        public NetworkLab Lab { get; }

        public string FlowLog { get; }

        public static async Task<AgentRun> StartAsync(CancellationToken token)
        {
            var run = new AgentRun();
            try
            {
                var node = run.Lab.AddNode("node");
                run.Lab.AddPod(node, "x/a", IPAddress.Parse("10.244.1.17"));
                run.Lab.AddPod(node, "y/a", IPAddress.Parse("10.244.2.17"));
                run.Lab.Serve([80], []);
                await File.WriteAllTextAsync(Path.Combine(run._manifests.Path, "cluster.yaml"), Cluster, token);
                run._host = Agent(node, run._manifests.Path, run.FlowLog);
                await run._host.StartAsync(token);
                var status = run._host.Services.GetRequiredService<IAgentStatusProvider>();
                await Until(() => status.Current.Ready, "the first apply");
                return run;
            }
            catch
            {
                await run.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_host is not null)
            {
                await _host.StopAsync(CancellationToken.None);
                _host.Dispose();
            }

            await Lab.DisposeAsync();
            _logs.Dispose();
            _manifests.Dispose();
        }
    }

    /// <summary>The node agent enforcing with nftables in <paramref name="node"/>, reading <paramref name="manifests"/>,
    /// with the flow log written to <paramref name="flowLog"/>.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static IHost Agent(string node, string manifests, string flowLog)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddNetPolHost()
            .UseNftables(o =>
            {
                o.NetworkNamespace = node;
                o.DeleteConntrackEntriesOfDeniedFlows = false;
            })
            .AddNodeAgent(o =>
            {
                o.NodeName = "node-1";
                o.Debounce = TimeSpan.FromMilliseconds(100);
                o.FlowLog.Enabled = true;
                o.FlowLog.Path = flowLog;
            })
            .AddFileSource(o => o.Paths.Add(manifests));
        return builder.Build();
    }

    private static List<JsonElement> Records(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var records = new List<JsonElement>();
        foreach (var line in reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            records.Add(document.RootElement.Clone());
        }

        return records;
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "timed out waiting for " + what);
            await Task.Delay(50);
        }
    }
}
