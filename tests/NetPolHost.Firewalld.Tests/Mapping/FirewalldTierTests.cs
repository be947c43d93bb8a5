using System.Net;
using NetPolHost.Backends;
using NetPolHost.Firewalld.Mapping;
using NetPolHost.Firewalld.Tests.Fakes;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Firewalld.Tests.Mapping;

/// <summary>ClusterNetworkPolicy tiers in firewalld: the rich rules decide every connection as the plan does, or the plan
/// is refused.</summary>
public sealed class FirewalldTierTests
{
    private static readonly IPAddress[] s_outside = [IPAddress.Parse("8.8.8.8"), IPAddress.Parse("10.244.9.9"), IPAddress.Parse("192.168.56.99"), IPAddress.Parse("fd00:10:244:9::9")];
    private static readonly Protocol[] s_protocols = [Protocol.Tcp, Protocol.Udp, Protocol.Sctp, Protocol.Icmp];
    private static readonly int[] s_ports = [1, 53, 79, 80, 81, 82, 443, 8080, 65535];

    /// <summary>Random clusters with NetworkPolicies and ClusterNetworkPolicies of both tiers (every action, every peer
    /// kind, ports, ranges, named ports, SCTP, mixed families, a host endpoint of the node on even seeds): for the plan of
    /// each node, firewalld's rich rules (evaluated in firewalld's order, on the path the kernel gives each packet)
    /// decide every sampled connection between pods, nodes and outside addresses as <see cref="RulePlan.Evaluate(IPAddress, IPAddress, Protocol, int, IReadOnlySet{IPAddress})"/>
    /// does, for TCP, UDP, SCTP and ICMP; or the mapping refuses the plan, naming a ClusterNetworkPolicy.</summary>
    [Fact]
    public void RichRules_DecideAsThePlan_OnRandomTieredClusters()
    {
        var (compared, tiered, refused, plans) = (0, 0, 0, 0);
        for (var seed = 0; seed < 240; seed++)
        {
            var (random, snapshot) = RandomCluster.TieredCluster(seed);
            var addresses = snapshot.Pods.SelectMany(p => p.IPs).Concat(RandomCluster.TieredNodeAddresses).Concat(s_outside).Distinct().ToList();
            for (var n = 0; n < 2; n++)
            {
                var node = n == 0 ? "node-1" : "node-2";
                var plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = node });
                if (!plan.HasTiers || plan.Rules.Any(r => !r.DomainNames.IsEmpty))
                {
                    continue;
                }

                plans++;
                FirewalldState state;
                try
                {
                    state = FirewalldPolicyMapper.Map(plan, "nph", -30000);
                }
                catch (UnsupportedPolicyFeatureException ex)
                {
                    Assert.StartsWith("ClusterNetworkPolicy ", ex.Policy, StringComparison.Ordinal);
                    Assert.Contains("protocols without ports", ex.Message, StringComparison.Ordinal);
                    Assert.Equal(BackendCapabilities.None, ex.MissingCapability);
                    refused++;
                    continue;
                }

                var host = new HashSet<IPAddress> { RandomCluster.TieredNodeAddresses[n], IPAddress.Loopback };
                for (var i = 0; i < 400; i++)
                {
                    var source = random.Pick(addresses);
                    var destination = random.Pick(addresses);
                    if (source.AddressFamily != destination.AddressFamily)
                    {
                        continue;
                    }

                    var protocol = random.Pick(s_protocols);
                    if (protocol == Protocol.Icmp && source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
                    {
                        protocol = Protocol.IcmpV6;
                    }

                    var port = protocol is Protocol.Icmp or Protocol.IcmpV6 ? 0 : random.Pick(s_ports);
                    var expected = plan.Evaluate(source, destination, protocol, port, host);
                    var actual = FirewalldModel.Allows(state, host, source, destination, protocol, port);
                    Assert.True(expected.Allowed == actual, $"seed {seed} {node}: {source} -> {destination} {port}/{protocol}: plan {(expected.Allowed ? "allowed" : "denied")} ({expected.Reason}), firewalld {(actual ? "allowed" : "denied")}\n{plan.Describe()}\n{string.Join("\n", state.Policies.SelectMany(p => p.RichRules.Select(r => p.Name + ": " + r)))}");
                    compared++;
                    tiered += expected.Rule is { } rule && rule.Id.StartsWith("cnp-", StringComparison.Ordinal) ? 1 : 0;
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{plans} plans with tiers: {refused} refused, {compared} connections compared ({tiered} decided by a tier entry)");
        Assert.True(refused < plans / 2, $"{refused} of {plans} plans refused");
        Assert.True(tiered > compared / 20, $"only {tiered} of {compared} connections decided by a tier entry");
    }

    /// <summary>The upstream ClusterNetworkPolicy conformance suite (tests/data/cnp-conformance), every step and probe
    /// (TCP, UDP and SCTP): the plans of both nodes mapped to firewalld objects, and each probe decided by the rich rules
    /// of the client's node (egress) and then of the server's node (ingress), the hostNetwork servers being the nodes
    /// themselves. Every step is enforced exactly but five experimental node-peer steps, which are refused.</summary>
    [Fact]
    public void RichRules_PassTheUpstreamConformanceSuite()
    {
        var probes = 0;
        var mismatches = new List<string>();
        var refused = new List<string>();
        foreach (var step in CnpConformance.Steps)
        {
            var states = new Dictionary<string, (FirewalldState State, HashSet<IPAddress> Host)>(StringComparer.Ordinal);
            try
            {
                foreach (var node in step.Snapshot.Nodes)
                {
                    var plan = RulePlanCompiler.Compile(step.Snapshot, new RulePlanOptions { NodeName = node.Name });
                    states[node.Name] = (FirewalldPolicyMapper.Map(plan, "nph", -30000), [.. node.Addresses, IPAddress.Loopback]);
                }
            }
            catch (UnsupportedPolicyFeatureException ex)
            {
                refused.Add($"{step.Case}: {ex.Policy}");
                continue;
            }

            foreach (var probe in step.Probes)
            {
                var client = step.Snapshot.FindPod(probe.From.Split('/')[0], probe.From.Split('/')[1])!;
                var server = step.Snapshot.FindPod(probe.To.Split('/')[0], probe.To.Split('/')[1])!;
                var source = client.IPs[0];
                var destination = IPAddress.Parse(probe.Address);
                var (egress, egressHost) = states[client.NodeName!];
                var allowed = FirewalldModel.Allows(egress, egressHost, source, destination, probe.Protocol, probe.Port);
                if (allowed && server.NodeName != client.NodeName)
                {
                    var (ingress, ingressHost) = states[server.NodeName!];
                    allowed = FirewalldModel.Allows(ingress, ingressHost, source, destination, probe.Protocol, probe.Port);
                }

                if (allowed != probe.Expected)
                {
                    mismatches.Add($"{step}: {probe}: firewalld {(allowed ? "allowed" : "denied")}");
                }

                probes++;
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{probes} probes compared; refused: {string.Join("; ", refused)}");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));

        // Refused: the experimental node-peer steps, whose tiers allow some ports of the nodes and deny the rest, the
        // pod's own node included (the 9 probes of those steps are not counted).
        Assert.Equal(
            [
                "055-cnp-admin-tier-egress-node-peers-1-allow-egress-rule-egress-node-peer: ClusterNetworkPolicy node-and-cidr-as-peers-example",
                "056-cnp-admin-tier-egress-node-peers-2-pass-egress-rule-egress-node-peer: ClusterNetworkPolicy node-and-cidr-as-peers-example",
                "057-cnp-admin-tier-egress-node-peers-3-deny-egress-rule-egress-node-peer: ClusterNetworkPolicy node-and-cidr-as-peers-example",
                "090-cnp-baseline-tier-egress-node-peers-1-allow-egress-rule-egress-node-peer: ClusterNetworkPolicy default",
                "091-cnp-baseline-tier-egress-node-peers-2-deny-egress-rule-egress-node-peer: ClusterNetworkPolicy default",
            ],
            refused);
        Assert.Equal(292, probes);
    }

    /// <summary>A guardrail that denies one address on every port (the seed's metadata Deny): one drop without element per
    /// group of pods, before the NetworkPolicy rules, in the forward policy and, for the pods' own node, the input
    /// policy; the ipset holds that one address.</summary>
    [Fact]
    public void Map_AdminDenyOfOneAddress_IsOneDropPerGroupAndPath()
    {
        var plan = GuardrailPlan(isolated: false);
        var state = FirewalldPolicyMapper.Map(plan, "nph", -30000);

        var forward = state.Policies.Single(p => p.Name == "nph-fwd").RichRules.Where(r => r.Contains("nph-t", StringComparison.Ordinal)).ToList();
        var input = state.Policies.Single(p => p.Name == "nph-in").RichRules;
        var rule = Assert.Single(forward);
        Assert.Matches("^rule priority=\"-80\" family=\"ipv4\" source ipset=\"nph-e[0-9a-f]+-4\" destination ipset=\"nph-t[0-9a-f]+-4\" drop$", rule);
        Assert.Matches("^rule priority=\"-90\" family=\"ipv4\" source ipset=\"nph-e[0-9a-f]+-4\" destination ipset=\"nph-t[0-9a-f]+-4\" drop$", Assert.Single(input));
        Assert.DoesNotContain(state.Policies, p => p.Name == "nph-out");
        var set = state.IPSets.Single(s => s.Name == RichRule.ReferencedIpsets(rule).Last());
        Assert.Equal("hash:net", set.Type);
        Assert.Equal(["169.254.169.254"], set.Entries);

        // Isolated by a NetworkPolicy (allow all egress): the drop names what is allowed, NOT ipset.
        var isolated = FirewalldPolicyMapper.Map(GuardrailPlan(isolated: true), "nph", -30000);
        var drop = Assert.Single(isolated.Policies.Single(p => p.Name == "nph-fwd").RichRules, r => r.Contains("nph-t", StringComparison.Ordinal));
        Assert.Contains("destination NOT ipset=\"nph-t", drop, StringComparison.Ordinal);
        var allowed = isolated.IPSets.Single(s => s.Name == RichRule.ReferencedIpsets(drop).Last());
        Assert.Contains("169.254.169.252/31", allowed.Entries);
        Assert.DoesNotContain(allowed.Entries, e => Cidr.TryParse(e.Contains('/', StringComparison.Ordinal) ? e : e + "/32", out var c) && c.Contains(IPAddress.Parse("169.254.169.254")));
    }

    /// <summary>The contract suite's tiered plan (an isolated host endpoint whose ingress meets an Admin Pass of TCP 22
    /// from one address, then an Admin Deny of its /24): per port class one drop into the host endpoint, then its
    /// TCP/UDP/SCTP and its other traffic accepted, before the rules of host endpoints without tiers.</summary>
    [Fact]
    public void Map_IsolatedHostEndpointWithTiers_DropsPerClassThenAccepts()
    {
        var plan = BackendContractSuite.TieredPlan;
        var state = FirewalldPolicyMapper.Map(plan, "nph", -30000);
        var input = state.Policies.Single(p => p.Name == "nph-in");
        var host = IPAddress.Parse("192.168.1.10");
        bool? Decide(string source, string protocol, int port) => RichRuleEvaluator.Evaluate(input, state.IPSets, IPAddress.Parse(source), host, protocol, port);

        Assert.True(Decide("10.70.0.9", "tcp", 22) is false, "the Pass hands TCP 22 to the NetworkPolicy, which does not allow 10.70.0.9");
        Assert.True(Decide("10.0.0.1", "tcp", 80) is true, "the NetworkPolicy allows TCP 80 from 10.0.0.1");
        Assert.True(Decide("10.70.0.1", "icmp", 0) is false, "the Admin Deny of the /24");
        Assert.True(Decide("10.0.0.1", "icmp", 0) is false, "isolated: nothing allows ICMP");
        Assert.True(Decide("10.0.0.1", "tcp", 81) is false, "isolated: nothing allows TCP 81");
        Assert.Equal(
            [-90, -85, -75, -70],
            input.RichRules.Select(r => RichRuleEvaluator.Parse(r).Priority).Distinct().Order());
    }

    /// <summary>Between a pod and its node, a tier that allows TCP 80 to 10.0.0.0/8 and then denies everything cannot be
    /// written (the rule for ICMP would also drop TCP 80): the mapping refuses it, naming the policy whose Deny it is.
    /// When the accepted peers are selected by labels, they take part only when they are the host's addresses.</summary>
    [Fact]
    public void Map_ProtocolSplitBetweenAPodAndItsNode_IsRefused()
    {
        var pod = IPAddress.Parse("10.1.0.5");
        PlanRule Entry(string id, int rule, AddressSet peers, PortSet ports, ClusterPolicyAction action) => new()
        {
            Id = id,
            Source = new Matching.RuleRef(new PolicyRef(string.Empty, "web-only"), rule),
            Direction = Direction.Egress,
            Peers = peers,
            Ports = ports,
            Action = action,
        };
        var accept = Entry("cnp-0000000000-e0", 0, AddressSet.Create([], [AddressRange.FromCidr(Cidr.Parse("10.0.0.0/8"))]), PortSet.Create([new PortRange(Protocol.Tcp, 80, 80)]), ClusterPolicyAction.Accept);
        var deny = Entry("cnp-0000000000-e1", 1, AddressSet.Create([], [AddressRange.FromCidr(Cidr.Parse("0.0.0.0/0"))]), PortSet.All, ClusterPolicyAction.Deny);
        var plan = new RulePlan
        {
            NodeName = "node-1",
            NodeAddresses = [IPAddress.Parse("10.0.0.1")],
            LocalPodAddresses = [pod],
            Endpoints = [new PlanEndpoint { Name = "x/a", Kind = PlanEndpointKind.Pod, Addresses = [pod], Ingress = DirectionPlan.Open, Egress = DirectionPlan.Open with { Admin = [accept.Id, deny.Id] } }],
            Rules = [accept, deny],
        };

        var error = Assert.Throws<UnsupportedPolicyFeatureException>(() => FirewalldPolicyMapper.Map(plan, "nph", -30000));
        Assert.Equal("ClusterNetworkPolicy web-only", error.Policy);
        Assert.Equal(
            "Backend 'firewalld' cannot enforce a tier that denies protocols without ports (ICMP…) to a peer whose TCP port 80 it allows, in traffic between pod x/a and its node (peer 10.0.0.0): there firewalld could drop 'every protocol but TCP, UDP and SCTP' only after accepting those, and accepting would bypass its zones, which policy 'ClusterNetworkPolicy web-only' uses.",
            error.Message);

        // Peers selected by labels are exempt only when they cannot be the host: the host endpoint's address can.
        var hostPeer = IPAddress.Parse("10.0.0.1");
        var selectedAccept = accept with { Peers = AddressSet.Create([hostPeer, IPAddress.Parse("10.2.0.9")], []) };
        var selected = new RulePlan { NodeName = plan.NodeName, LocalPodAddresses = plan.LocalPodAddresses, Endpoints = plan.Endpoints, Rules = [selectedAccept, deny] };
        Assert.Contains("(peer 10.0.0.1)", Assert.Throws<UnsupportedPolicyFeatureException>(() => FirewalldPolicyMapper.Map(selected with { HostAddresses = [hostPeer] }, "nph", -30000)).Message, StringComparison.Ordinal);
        var state2 = FirewalldPolicyMapper.Map(selected with { HostAddresses = [IPAddress.Parse("10.0.0.254")] }, "nph", -30000);
        Assert.False(FirewalldModel.Allows(state2, new HashSet<IPAddress> { IPAddress.Parse("10.0.0.254") }, pod, IPAddress.Parse("10.0.0.254"), Protocol.Icmp, 0));

        // Without the accepted port the Deny holds for every protocol alike, and is written.
        var denyOnly = new RulePlan { NodeName = plan.NodeName, NodeAddresses = plan.NodeAddresses, LocalPodAddresses = plan.LocalPodAddresses, Endpoints = [plan.Endpoints[0] with { Egress = DirectionPlan.Open with { Admin = [deny.Id] } }], Rules = [deny] };
        var state = FirewalldPolicyMapper.Map(denyOnly, "nph", -30000);
        Assert.False(FirewalldModel.Allows(state, new HashSet<IPAddress> { IPAddress.Parse("10.0.0.1") }, pod, IPAddress.Parse("10.0.0.1"), Protocol.Icmp, 0));
        Assert.False(FirewalldModel.Allows(state, new HashSet<IPAddress> { IPAddress.Parse("10.0.0.1") }, pod, IPAddress.Parse("10.0.0.1"), Protocol.Tcp, 80));
    }

    /// <summary>Two local pods, production/api (isolated or not by an allow-all-egress NetworkPolicy) under an Admin Deny
    /// of 169.254.169.254 on every port.</summary>
    private static RulePlan GuardrailPlan(bool isolated)
    {
        var api = IPAddress.Parse("10.244.1.11");
        var deny = new PlanRule
        {
            Id = "cnp-1111111111-e0",
            Source = new Matching.RuleRef(new PolicyRef(string.Empty, "block-cloud-metadata"), 0),
            Direction = Direction.Egress,
            Peers = AddressSet.Create([], [AddressRange.FromCidr(Cidr.Parse("169.254.169.254/32"))]),
            Ports = PortSet.All,
            Action = ClusterPolicyAction.Deny,
        };
        var all = new PlanRule { Id = "np-e0", Source = new Matching.RuleRef(new PolicyRef("production", "allow-all-egress"), 0), Direction = Direction.Egress, Peers = AddressSet.All, Ports = PortSet.All };
        var egress = isolated ? new DirectionPlan(true, [new PolicyRef("production", "allow-all-egress")], [all.Id]) : DirectionPlan.Open;
        return new RulePlan
        {
            NodeName = "node-1",
            NodeAddresses = [IPAddress.Parse("192.168.56.11")],
            LocalPodAddresses = [api],
            Endpoints = [new PlanEndpoint { Name = "production/api", Kind = PlanEndpointKind.Pod, Addresses = [api], Ingress = DirectionPlan.Open, Egress = egress with { Admin = [deny.Id] } }],
            Rules = isolated ? [deny, all] : [deny],
        };
    }
}
