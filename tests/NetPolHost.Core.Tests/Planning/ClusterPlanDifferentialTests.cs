using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Planning;

/// <summary>ClusterNetworkPolicy tiers: on random clusters with random Admin and Baseline policies (every action, equal
/// priorities, every peer kind but domain names, ports, ranges and named ports) and NetworkPolicies, the matcher, its truth
/// tables and the compiled plans of every node agree.</summary>
public sealed class ClusterPlanDifferentialTests
{
    private const int Seeds = 240;
    private static readonly string[] s_pods = [.. RandomCluster.PodIPs.Keys.Order(StringComparer.Ordinal)];
    private static readonly IPAddress s_node1 = RandomCluster.TieredNodeAddresses[0];
    private static readonly IPAddress s_node2 = RandomCluster.TieredNodeAddresses[1];
    private static readonly IPAddress s_node3 = RandomCluster.TieredNodeAddresses[2];
    private static readonly IPAddress[] s_outside = [IPAddress.Parse("8.8.8.8"), IPAddress.Parse("10.244.9.9"), IPAddress.Parse("fd00:10:244:9::9")];
    private static readonly PortProbe[] s_probes = [new(80), new(81), new(80, Protocol.Udp), new(81, Protocol.Udp), new(80, Protocol.Sctp)];

    /// <summary>The snapshot of one seed (<see cref="RandomCluster.TieredCluster"/>).</summary>
    internal static (RandomCluster Random, ClusterSnapshot Snapshot) Cluster(int seed) => RandomCluster.TieredCluster(seed);

    private static bool HasHostEndpoint(int seed) => RandomCluster.TieredClusterHasHostEndpoint(seed);

    [Fact]
    public void MatcherTruthTablesAndPlans_Agree_OnRandomClusterPolicies()
    {
        var flows = 0;
        var cells = 0;
        var decidedByTiers = 0;
        var denied = 0;
        for (var seed = 0; seed < Seeds; seed++)
        {
            var (random, snapshot) = Cluster(seed);
            var matcher = new PolicyMatcher(snapshot);
            var plans = new Dictionary<string, RulePlan>(StringComparer.Ordinal);
            RulePlan PlanOf(string node)
            {
                if (!plans.TryGetValue(node, out var plan))
                {
                    plan = RulePlanCompiler.Compile(matcher, new RulePlanOptions { NodeName = node });
                    plans[node] = plan;
                }

                return plan;
            }

            // The truth tables against the matcher, cell by cell, over every pod (the hostNetwork pod included).
            var table = matcher.BuildTruthTable(probes: s_probes);
            foreach (var matrix in table.Probes)
            {
                for (var i = 0; i < table.Endpoints.Count; i++)
                {
                    for (var j = 0; j < table.Endpoints.Count; j++)
                    {
                        var verdict = matcher.Decide(new Flow(Endpoint(table.Endpoints[i]), Endpoint(table.Endpoints[j]), matrix.Probe.Port, matrix.Probe.Protocol));
                        Assert.True(verdict.Allowed == matrix.Allowed[i, j], $"seed {seed}: {table.Endpoints[i]} -> {table.Endpoints[j]} {matrix.Probe}: matcher {verdict.Allowed}, truth table {matrix.Allowed[i, j]}");
                        cells++;
                    }
                }
            }

            // The plans of the nodes of both ends, as the firewalls evaluate them, against the matcher.
            for (var n = 0; n < 80; n++)
            {
                var probe = random.Pick(s_probes);
                var (from, fromAddress, fromNode) = PickEnd(random, snapshot, HasHostEndpoint(seed));
                var (to, toAddress, toNode) = PickEnd(random, snapshot, HasHostEndpoint(seed));
                if (fromAddress is null || toAddress is null || fromAddress.AddressFamily != toAddress.AddressFamily || fromAddress.Equals(toAddress))
                {
                    continue;
                }

                var verdict = matcher.Decide(new Flow(from, to, probe.Port, probe.Protocol));
                var planned = Planned(PlanOf, fromAddress, fromNode, toAddress, toNode, probe);
                Assert.True(verdict.Allowed == planned.Allowed, $"seed {seed}: {from} ({fromAddress}) -> {to} ({toAddress}) {probe}: matcher {verdict.Allowed}, plans {planned.Allowed} ({planned.Reason})\n{string.Join("\n", verdict.Explain())}\n{string.Join("\n", plans.Values.Select(p => p.Describe()))}");
                flows++;
                decidedByTiers += verdict.Egress.Tier is DecisionTier.Admin or DecisionTier.Baseline || verdict.Ingress.Tier is DecisionTier.Admin or DecisionTier.Baseline ? 1 : 0;
                denied += verdict.Allowed ? 0 : 1;
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{Seeds} clusters: {cells} truth table cells, {flows} flows through the plans ({decidedByTiers} decided by a tier, {denied} denied)");
        Assert.True(flows > Seeds * 50, $"only {flows} flows compared");
        Assert.True(cells > Seeds * 400, $"only {cells} cells compared");
        Assert.True(decidedByTiers > flows / 6, $"only {decidedByTiers} of {flows} flows decided by a tier");
        Assert.True(denied > flows / 10, $"only {denied} of {flows} flows denied");
    }

    [Fact]
    public void TierEntries_FollowTheOrderOfEvaluation_AndCarryTheirActions()
    {
        for (var seed = 0; seed < Seeds; seed++)
        {
            var (_, snapshot) = Cluster(seed);
            var plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-1" });
            var order = snapshot.ClusterPolicies.Order(Comparer<ClusterNetworkPolicy>.Create(ClusterNetworkPolicy.CompareEvaluationOrder)).Select(p => p.Name).ToList();
            foreach (var endpoint in plan.Endpoints)
            {
                foreach (var direction in new[] { Direction.Ingress, Direction.Egress })
                {
                    var tiers = endpoint.For(direction);
                    Assert.True(!tiers.Isolated || tiers.Baseline.IsEmpty, "the Baseline tier is never reached when NetworkPolicies isolate");
                    foreach (var (ids, tier) in new[] { (tiers.Admin, PolicyTier.Admin), (tiers.Baseline, PolicyTier.Baseline) })
                    {
                        var sources = ids.Select(plan.GetRule).ToList();
                        Assert.All(sources, r => Assert.StartsWith("cnp-", r.Id, StringComparison.Ordinal));
                        Assert.All(sources, r => Assert.Equal(tier, snapshot.ClusterPolicies.Single(p => p.Name == r.Source.Policy.Name).Tier));
                        Assert.All(sources, r => Assert.Equal(snapshot.ClusterPolicies.Single(p => p.Name == r.Source.Policy.Name).Rules(direction)[r.Source.Rule].Action, r.Action));
                        var positions = sources.Select(r => (order.IndexOf(r.Source.Policy.Name), r.Source.Rule)).ToList();
                        Assert.Equal(positions.Order(), positions);
                    }

                    Assert.All(tiers.Rules.Select(plan.GetRule), r => Assert.Equal(ClusterPolicyAction.Accept, r.Action));
                }
            }
        }
    }

    /// <summary>What the firewalls decide: egress on the source's node, ingress on the destination's; one plan when both
    /// are on one node.</summary>
    private static PlanDecision Planned(Func<string, RulePlan> planOf, IPAddress from, string? fromNode, IPAddress to, string? toNode, PortProbe probe)
    {
        if (fromNode is not null && fromNode == toNode)
        {
            return planOf(fromNode).Evaluate(from, to, probe.Protocol, probe.Port);
        }

        if (fromNode is not null && planOf(fromNode).Evaluate(from, to, probe.Protocol, probe.Port) is { Allowed: false } egress)
        {
            return egress;
        }

        return toNode is null
            ? new PlanDecision(true, PacketPath.Forward, "no node", null)
            : planOf(toNode).Evaluate(from, to, probe.Protocol, probe.Port);
    }

    private static FlowEndpoint Endpoint(string name) => FlowEndpoint.ForPod(name.Split('/')[0], name.Split('/')[1]);

    /// <summary>One end of a flow: a node (node-1 as its host endpoint when it has one), the hostNetwork pod, an address
    /// outside the cluster or, mostly, a pod.</summary>
    private static (FlowEndpoint End, IPAddress? Address, string? Node) PickEnd(RandomCluster random, ClusterSnapshot snapshot, bool hostEndpoint)
    {
        switch (random.Next(12))
        {
            case 0:
                return (hostEndpoint ? FlowEndpoint.ForHostEndpoint("hosts", "node-1") : FlowEndpoint.ForNode("node-1", s_node1), s_node1, "node-1");
            case 1:
                return (FlowEndpoint.ForNode("node-2", s_node2), s_node2, "node-2");
            case 2:
                return (FlowEndpoint.ForPod("kube-system", "n3"), s_node3, "node-3");
            case 3:
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
