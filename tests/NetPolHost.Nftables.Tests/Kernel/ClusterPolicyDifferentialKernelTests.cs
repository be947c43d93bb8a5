using System.Diagnostics;
using System.Net;
using NetPolHost.Backends;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>Random ClusterNetworkPolicies of both tiers with NetworkPolicies, on two nodes (a host endpoint of node-a on
/// half of the cases): the matcher, the compiled plans evaluated in memory and the two nodes' kernels agree on new
/// connections between pods, from pods to both nodes and from the nodes to pods.</summary>
[Trait("Category", "Integration")]
public sealed class ClusterPolicyDifferentialKernelTests(ClusterPolicyLabFixture fixture) : IClassFixture<ClusterPolicyLabFixture>
{
    private const int Cases = 75;
    private const int FlowsPerCase = 16;
    private static readonly string[] s_pods = [.. ConformanceData.PodIPs.Keys.Order(StringComparer.Ordinal)];
    private static readonly string[] s_nodes = ["node-a", "node-b"];

    [Fact]
    public async Task RandomClusterPolicies_PlanAndKernelAgree()
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var token = TestContext.Current.CancellationToken;
        var stopwatch = Stopwatch.StartNew();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var mismatches = new List<string>();
        for (var seed = 5000; seed < 5000 + Cases; seed++)
        {
            var random = new RandomCluster(seed);
            var hostEndpoint = seed % 2 == 0;
            var snapshot = random.Snapshot(seed % 3, ClusterPolicyLabFixture.RandomNodeOf).With(
                nodes: ClusterPolicyLabFixture.Nodes(),
                namespaces: [new Namespace { Name = "hosts", Labels = LabelMap.Of("app", "web") }],
                hostEndpoints: hostEndpoint ? [new HostEndpoint { Namespace = "hosts", Name = "node-a", NodeName = "node-a", IPs = [ClusterPolicyLabFixture.NodeA], Labels = LabelMap.Of("pod", "b") }] : null,
                clusterPolicies: random.ClusterPolicies(2 + (seed % 4)));
            var matcher = new PolicyMatcher(snapshot);
            var plans = new Dictionary<string, RulePlan>(StringComparer.Ordinal);
            foreach (var (node, backend) in fixture.Backends)
            {
                plans[node] = RulePlanCompiler.Compile(matcher, new RulePlanOptions { NodeName = node });

                // Mostly incremental changes from the previous case; every fifth a repair that diffs from the kernel's
                // table as read back (tier chains included), then a drift check.
                await backend.ApplyAsync(plans[node], new ApplyOptions { Full = seed % 5 == 0 }, token);
                if (seed % 5 == 0)
                {
                    var status = await backend.GetStatusAsync(plans[node], token);
                    Assert.True(status.Drift.Count == 0, $"seed {seed}, {node}: drift " + string.Join("; ", status.Drift));
                }
            }

            var probes = new List<(string What, bool Planned, bool Expected, Task<bool> Kernel)>();
            for (var n = 0; n < FlowsPerCase; n++)
            {
                var (port, protocol) = random.Probe();
                var kind = random.Next(8) switch { 0 => "pod->node", 1 => "node->pod", _ => "pod->pod" };
                string fromName, fromNode, toNode;
                IPAddress source, destination;
                FlowEndpoint from, to;
                if (kind == "node->pod")
                {
                    fromName = fromNode = random.Pick(s_nodes);
                    var pod = random.Pick(s_pods);
                    toNode = ClusterPolicyLabFixture.RandomNodeOf(pod);
                    destination = ConformanceData.PodIPs[pod];

                    source = ClusterPolicyLabFixture.AddressOf(fromNode);
                    from = hostEndpoint && fromNode == "node-a" ? FlowEndpoint.ForHostEndpoint("hosts", "node-a") : FlowEndpoint.ForNode(fromNode, source);
                    to = FlowEndpoint.ForPod(pod.Split('/')[0], pod.Split('/')[1]);
                }
                else
                {
                    fromName = random.Pick(s_pods);
                    fromNode = ClusterPolicyLabFixture.RandomNodeOf(fromName);
                    source = ConformanceData.PodIPs[fromName];
                    from = FlowEndpoint.ForPod(fromName.Split('/')[0], fromName.Split('/')[1]);
                    if (kind == "pod->node")
                    {
                        toNode = random.Pick(s_nodes);
                        destination = ClusterPolicyLabFixture.AddressOf(toNode);
                        to = hostEndpoint && toNode == "node-a" ? FlowEndpoint.ForHostEndpoint("hosts", "node-a") : FlowEndpoint.ForNode(toNode, destination);
                    }
                    else
                    {
                        var pod = random.Pick(s_pods);
                        if (pod == fromName)
                        {
                            continue;
                        }

                        toNode = ClusterPolicyLabFixture.RandomNodeOf(pod);
                        destination = ConformanceData.PodIPs[pod];
                        to = FlowEndpoint.ForPod(pod.Split('/')[0], pod.Split('/')[1]);
                    }
                }

                var planned = ClusterPolicyConformanceKernelTests.Planned(plans, source, fromNode, destination, toNode, protocol, port).Allowed;
                var expected = matcher.Decide(new Flow(from, to, port, protocol)).Allowed;
                var what = $"seed {seed}: {kind} {fromName} ({source}) -> {destination} {port}/{protocol}";
                probes.Add((what, planned, expected, fixture.ProbeAsync(fromName, destination, port, protocol, planned)));
                counts[kind + " " + protocol] = counts.GetValueOrDefault(kind + " " + protocol) + 1;
            }

            foreach (var (what, planned, expected, kernelTask) in probes)
            {
                var kernel = await kernelTask;
                if (kernel != planned || expected != planned)
                {
                    mismatches.Add($"{what}: matcher {expected}, plan {planned}, kernel {kernel}");
                }
            }

            if (mismatches.Count > 0)
            {
                mismatches.Add(string.Join("\n", plans.Values.Select(p => p.Describe())));
                break;
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{counts.Values.Sum()} probes in {stopwatch.Elapsed.TotalSeconds:F1} s: {string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key + " " + c.Value))}");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        Assert.True(counts.Values.Sum() > Cases * FlowsPerCase * 3 / 4, $"only {counts.Values.Sum()} probes");
    }

    [Fact]
    public async Task EstablishedConnection_StopsWhenAnAdminDenyCutsIt()
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var token = TestContext.Current.CancellationToken;
        var snapshot = new RandomCluster(1).Snapshot(0, ClusterPolicyLabFixture.RandomNodeOf).With(nodes: ClusterPolicyLabFixture.Nodes());
        var open = snapshot;
        var guarded = snapshot.With(clusterPolicies:
        [
            new ClusterNetworkPolicy
            {
                Name = "cut",
                Tier = PolicyTier.Admin,
                Subject = new ClusterPolicySubject { Pods = new NamespacedPodSelector(LabelSelector.ForLabels(Namespace.NameLabel, "x"), LabelSelector.ForLabels("pod", "a")) },
                Egress = [new ClusterNetworkPolicyRule { Action = ClusterPolicyAction.Deny, Peers = [new ClusterPolicyPeer { Networks = [new Cidr(ConformanceData.PodIPs["z/b"], 32)] }] }],
            },
        ]);
        foreach (var (node, backend) in fixture.Backends)
        {
            await backend.ApplyAsync(RulePlanCompiler.Compile(open, new RulePlanOptions { NodeName = node }), cancellationToken: token);
        }

        using var connection = await fixture.Lab.ConnectAsync("x/a", ConformanceData.PodIPs["z/b"], 80);
        Assert.True(await TestKit.Net.NetworkLab.EchoAsync(connection, TimeSpan.FromSeconds(2)));
        foreach (var (node, backend) in fixture.Backends)
        {
            await backend.ApplyAsync(RulePlanCompiler.Compile(guarded, new RulePlanOptions { NodeName = node }), cancellationToken: token);
            var cutOff = await backend.WaitForConnectionCutOffAsync(token);
            Assert.True(cutOff.Warnings.Count == 0, string.Join("; ", cutOff.Warnings));
        }

        Assert.False(await TestKit.Net.NetworkLab.EchoAsync(connection, TimeSpan.FromMilliseconds(500)), "the Admin tier's Deny must stop the established connection too");
        Assert.False(await fixture.ProbeAsync("x/a", ConformanceData.PodIPs["z/b"], 80, Protocol.Tcp, expected: false));
        Assert.True(await fixture.ProbeAsync("x/b", ConformanceData.PodIPs["z/b"], 80, Protocol.Tcp, expected: true));
    }
}
