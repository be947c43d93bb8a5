using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Planning;

/// <summary>The compiled plans, evaluated the way the node firewalls evaluate them, agree with the matcher.</summary>
public sealed class PlanDifferentialTests
{
    private static readonly string[] s_pods = [.. RandomCluster.PodIPs.Keys.Order(StringComparer.Ordinal)];
    private static readonly IPAddress s_node1 = IPAddress.Parse("192.168.56.11");
    private static readonly IPAddress s_node2 = IPAddress.Parse("192.168.56.12");
    private static readonly IPAddress[] s_outside = [IPAddress.Parse("8.8.8.8"), IPAddress.Parse("10.244.9.9"), IPAddress.Parse("fd00:10:244:9::9")];

    [Fact]
    public void CompiledPlans_AgreeWithTheMatcher_OnRandomClusters()
    {
        var compared = 0;
        for (var seed = 0; seed < 400; seed++)
        {
            var random = new RandomCluster(seed, sctp: true);
            var snapshot = random.Snapshot(1 + (seed % 6), pod => pod[0] == 'x' || pod == "y/a" ? "node-1" : "node-2", mixedFamilies: seed % 3 == 2)
                .With(nodes: [new Node { Name = "node-1", Addresses = [s_node1] }, new Node { Name = "node-2", Addresses = [s_node2] }]);
            var matcher = new PolicyMatcher(snapshot);
            var plans = new Dictionary<string, RulePlan>
            {
                ["node-1"] = RulePlanCompiler.Compile(matcher, new RulePlanOptions { NodeName = "node-1" }),
                ["node-2"] = RulePlanCompiler.Compile(matcher, new RulePlanOptions { NodeName = "node-2" }),
            };

            for (var n = 0; n < 60; n++)
            {
                var (port, protocol) = random.Probe();
                if (random.Next(6) == 0)
                {
                    protocol = Protocol.Sctp;
                }

                var (from, fromAddress, fromNode) = PickEnd(random, snapshot);
                var (to, toAddress, toNode) = PickEnd(random, snapshot);
                if (fromAddress is null || toAddress is null || fromAddress.AddressFamily != toAddress.AddressFamily || fromAddress.Equals(toAddress))
                {
                    continue;
                }

                var verdict = matcher.Decide(new Flow(from, to, port, protocol));
                bool kernel;
                if (fromNode is not null && fromNode == toNode)
                {
                    kernel = plans[fromNode].Evaluate(fromAddress, toAddress, protocol, port).Allowed;
                }
                else
                {
                    // Egress is enforced on the source's node, ingress on the destination's node.
                    kernel = (fromNode is null || plans[fromNode].Evaluate(fromAddress, toAddress, protocol, port).Allowed)
                        && (toNode is null || plans[toNode].Evaluate(fromAddress, toAddress, protocol, port).Allowed);
                }

                Assert.True(verdict.Allowed == kernel, $"seed {seed}: {from} ({fromAddress}) -> {to} ({toAddress}) {port}/{protocol}: matcher {verdict.Allowed}, plans {kernel}\n{string.Join("\n", verdict.Explain())}");
                compared++;
            }
        }

        Assert.True(compared > 10_000, $"only {compared} flows compared");
    }

    [Fact]
    public void RuleCount_DoesNotGrowWithThePeers()
    {
        static RulePlan PlanWith(int peers)
        {
            var builder = new ClusterBuilder().Namespace("x").Namespace("big")
                .Pod("x/web", "10.0.0.1", "app=web", node: "node-1")
                .Policies("""
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata: {name: p, namespace: x}
                    spec:
                      podSelector: {matchLabels: {app: web}}
                      ingress:
                      - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: big}}}]
                        ports: [{port: 80}]
                      - from: [{ipBlock: {cidr: 172.16.0.0/12, except: [172.16.1.0/24]}}]
                    """);
            for (var i = 0; i < peers; i++)
            {
                builder.Pod($"big/p{i}", $"10.{1 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}", "app=client", node: "node-2");
            }

            return RulePlanCompiler.Compile(builder.Build(), new RulePlanOptions { NodeName = "node-1" });
        }

        var small = PlanWith(1_000);
        var large = PlanWith(100_000);
        Assert.Equal(small.Rules.Count, large.Rules.Count);
        Assert.Equal(1_000, small.Rules.Sum(r => r.Peers.Hosts.Count));
        Assert.Equal(100_000, large.Rules.Sum(r => r.Peers.Hosts.Count));
    }

    private static (FlowEndpoint End, IPAddress? Address, string? Node) PickEnd(RandomCluster random, ClusterSnapshot snapshot)
    {
        switch (random.Next(10))
        {
            case 0:
                return (FlowEndpoint.ForNode("node-1", s_node1), s_node1, "node-1");
            case 1:
                return (FlowEndpoint.ForNode("node-2", s_node2), s_node2, "node-2");
            case 2:
                var outside = random.Pick(s_outside);
                return (FlowEndpoint.ForAddress(outside), outside, null);
            default:
                var name = random.Pick(s_pods);
                var pod = snapshot.FindPod(name.Split('/')[0], name.Split('/')[1])!;
                var address = pod.IPs.Count == 0 ? null : pod.IPs[random.Next(pod.IPs.Count)];
                return (FlowEndpoint.ForPod(pod.Namespace, pod.Name, address), address, pod.NodeName);
        }
    }
}
