using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Planning;

/// <summary><see cref="DirectionDecisions.Flatten(RulePlan, DirectionPlan, bool, bool)"/>: one set of denied peers per class of traffic decides every packet
/// as the ordered tiers do.</summary>
public sealed class DirectionDecisionsTests
{
    private static readonly IPAddress[] s_extra =
    [
        IPAddress.Parse("192.168.56.11"), IPAddress.Parse("192.168.56.12"), IPAddress.Parse("192.168.56.13"),
        IPAddress.Parse("8.8.8.8"), IPAddress.Parse("10.244.9.9"), IPAddress.Parse("0.0.0.0"), IPAddress.Parse("255.255.255.255"),
        IPAddress.Parse("fd00:10:244:9::9"), IPAddress.Parse("::"), IPAddress.Parse("2001:db8::1"),
    ];

    private static readonly Protocol[] s_protocols = [Protocol.Tcp, Protocol.Udp, Protocol.Sctp, Protocol.Icmp];

    /// <summary>On the random clusters of the plan differential test, every endpoint direction of every node, both
    /// families, forward, node-local and mixed (local pods node-local): the flattened classes partition the ports, and a peer is in the denied set of
    /// its packet's class exactly when the plan's ordered evaluation of that direction denies it.</summary>
    [Fact]
    public void Flatten_DecidesEveryPacketAsTheOrderedTiersDo()
    {
        var checkedPackets = 0;
        var deniedPackets = 0;
        for (var seed = 0; seed < 120; seed++)
        {
            var (random, snapshot) = ClusterPlanDifferentialTests.Cluster(seed);
            var peers = RandomCluster.PodIPs.Values.Concat(RandomCluster.PodIPs.Keys.Select(RandomCluster.PodIPv6)).Concat(s_extra).ToList();
            foreach (var node in new[] { "node-1", "node-2" })
            {
                var plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = node });
                foreach (var endpoint in plan.Endpoints)
                {
                    foreach (var direction in new[] { Direction.Ingress, Direction.Egress })
                    {
                        // Forward, node-local, and mixed (the node's pods node-local, every other peer not).
                        foreach (var nodeLocal in new bool?[] { false, true, null })
                        {
                            foreach (var v6 in new[] { false, true })
                            {
                                var local = AddressRange.Merge(plan.LocalPodAddresses.Select(AddressRange.FromAddress).Where(r => r.IsIPv6 == v6));
                                var classes = nodeLocal is { } only ? plan.Flatten(endpoint.For(direction), v6, only) : plan.Flatten(endpoint.For(direction), v6, local);
                                AssertPartition(classes);
                                for (var n = 0; n < 40; n++)
                                {
                                    var peer = random.Pick(peers.Where(p => (p.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) == v6).ToList());
                                    var protocol = random.Pick(s_protocols);
                                    var port = protocol == Protocol.Icmp ? 0 : random.Pick([1, 53, 79, 80, 81, 82, 443, 5353, 8080, 65535]);
                                    var expected = plan.Check(endpoint, direction, peer, protocol, port, PacketPath.Forward, nodeLocal ?? plan.LocalPodAddresses.Contains(peer))?.Allowed ?? true;
                                    var decision = classes.Single(c => protocol.HasPorts() ? c.Ports is { } p && p.Protocol == protocol && port >= p.First && port <= p.Last : c.Ports is null);
                                    var denied = decision.Denied.Any(r => r.Contains(IpMath.ToUInt128(peer, out var isV6), isV6));
                                    Assert.True(denied == !expected, $"seed {seed} {node} {endpoint.Name} {direction} {peer} {port}/{protocol} node-local {nodeLocal}: flattened {(denied ? "denied" : "allowed")}, plan {(expected ? "allowed" : "denied")}\n{plan.Describe()}");
                                    checkedPackets++;
                                    deniedPackets += denied ? 1 : 0;
                                }
                            }
                        }
                    }
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{checkedPackets} packets, {deniedPackets} denied");
        Assert.True(deniedPackets > checkedPackets / 10, $"only {deniedPackets} of {checkedPackets} packets denied");
    }

    [Fact]
    public void Flatten_AdminPassSkipsTheRestOfTheTier_AndGoesOnToTheNetworkPolicyStage()
    {
        // Admin: Pass TCP 80 from 10.0.0.1, Deny everything from 10.0.0.0/24; isolated by a NetworkPolicy that allows
        // TCP 80-81 from 10.0.0.1 and 10.0.0.2.
        PlanRule Rule(string id, AddressSet peers, PortSet ports, ClusterPolicyAction action) => new()
        {
            Id = id,
            Source = new RuleRef(new PolicyRef(id.StartsWith("cnp", StringComparison.Ordinal) ? string.Empty : "ns", id), 0),
            Direction = Direction.Ingress,
            Peers = peers,
            Ports = ports,
            Action = action,
        };
        var pass = Rule("cnp-a", AddressSet.Create([IPAddress.Parse("10.0.0.1")], []), PortSet.Create([new PortRange(Protocol.Tcp, 80, 80)]), ClusterPolicyAction.Pass);
        var deny = Rule("cnp-b", AddressSet.Create([], [AddressRange.FromCidr(Cidr.Parse("10.0.0.0/24"))]), PortSet.All, ClusterPolicyAction.Deny);
        var allow = Rule("np", AddressSet.Create([IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")], []), PortSet.Create([new PortRange(Protocol.Tcp, 80, 81)]), ClusterPolicyAction.Accept);
        var direction = new DirectionPlan(true, [new PolicyRef("ns", "np")], ["np"]) { Admin = ["cnp-a", "cnp-b"] };
        var plan = new RulePlan
        {
            NodeName = "n",
            Endpoints = [new PlanEndpoint { Name = "ns/p", Kind = PlanEndpointKind.Pod, Addresses = [IPAddress.Parse("10.1.0.1")], Ingress = direction, Egress = DirectionPlan.Open }],
            Rules = [deny, pass, allow],
        };

        // TCP 80: the Pass sends 10.0.0.1 on to the NetworkPolicy, which allows it; the Deny takes the rest of the /24,
        // 10.0.0.2 included. Other TCP ports, UDP, SCTP and other protocols: nothing is allowed (0-79 and 81-65535 stay
        // apart: port 80 lies between them).
        var classes = plan.Flatten(direction, ipv6: false, nodeLocal: false);
        Assert.Equal(
            ["0-79/TCP: ", "80/TCP: 10.0.0.1", "81-65535/TCP: ", "*/UDP: ", "*/SCTP: ", "other: "],
            classes.Select(c => $"{c.Ports?.ToString() ?? "other"}: {string.Join(", ", c.Allowed(false))}"));

        // Node-local peers skip the NetworkPolicy stage: only the Admin Deny is left, and the Pass keeps 10.0.0.1:80 out
        // of it.
        var nodeLocal = plan.Flatten(direction, ipv6: false, nodeLocal: true);
        Assert.Equal(
            ["0-79/TCP: 10.0.0.0/24", "80/TCP: 10.0.0.0, 10.0.0.2-10.0.0.255", "81-65535/TCP: 10.0.0.0/24", "*/UDP: 10.0.0.0/24", "*/SCTP: 10.0.0.0/24", "other: 10.0.0.0/24"],
            nodeLocal.Select(c => $"{c.Ports?.ToString() ?? "other"}: {string.Join(", ", c.Denied)}"));
    }

    private static void AssertPartition(IReadOnlyList<ClassDecision> classes)
    {
        foreach (var protocol in new[] { Protocol.Tcp, Protocol.Udp, Protocol.Sctp })
        {
            var ranges = classes.Where(c => c.Ports?.Protocol == protocol).Select(c => c.Ports!.Value).ToList();
            Assert.Equal(0, ranges[0].First);
            Assert.Equal(65535, ranges[^1].Last);
            for (var i = 1; i < ranges.Count; i++)
            {
                Assert.Equal(ranges[i - 1].Last + 1, ranges[i].First);
            }
        }

        Assert.Single(classes, c => c.Ports is null);
        Assert.Null(classes[^1].Ports);
    }
}
