using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;
using NetPolHost.Wfp;
using NetPolHost.Wfp.Filters;
using NetPolHost.Wfp.Interop;
using NetPolHost.Windows.Tests.Conformance;
using NetPolHost.Windows.Tests.Fakes;

namespace NetPolHost.Windows.Tests.Wfp;

/// <summary>ClusterNetworkPolicy tiers of host endpoints in WFP.</summary>
public sealed class WfpTierTests
{
    private const int EphemeralPort = 50000;
    private static readonly (int Port, Protocol Protocol)[] s_probes = [(80, Protocol.Tcp), (81, Protocol.Tcp), (80, Protocol.Udp), (81, Protocol.Udp), (0, Protocol.Icmp)];

    /// <summary>Random clusters with every pod turned into a host endpoint of a node of its own, random NetworkPolicies
    /// and ClusterNetworkPolicies of both tiers (every action, equal priorities, every peer kind, ports, ranges, named
    /// ports): each endpoint's plan applied through the backend to a fake engine, the filters read back and run through
    /// the model of WFP arbitration, decide traffic into and out of the endpoint, from and to every other endpoint (TCP,
    /// UDP, ICMP), as the matcher's ingress and egress verdicts: our sublayer alone, between permit-all sublayers, and
    /// (isolated directions) as a hard permit over a block-all sublayer.</summary>
    [Fact]
    public async Task Filters_DecideAsTheMatcher_OnRandomTieredHostEndpoints()
    {
        var (compared, tiered) = (0, 0);
        var mismatches = new List<string>();
        for (var seed = 0; seed < 60; seed++)
        {
            var random = new RandomCluster(seed);
            var pods = random.Snapshot(seed % 4);
            var snapshot = ClusterSnapshot.Create(
                pods.Namespaces,
                hostEndpoints: pods.Pods.Select(p => new HostEndpoint { Namespace = p.Namespace, Name = p.Name, Labels = p.Labels, NodeName = HostEndpointCases.NodeOf(p.Namespace + "/" + p.Name), IPs = p.IPs, Ports = p.Ports }),
                policies: pods.Policies,
                clusterPolicies: random.ClusterPolicies(2 + (seed % 4)));
            var matcher = new PolicyMatcher(snapshot);
            var endpoints = snapshot.HostEndpoints.Select(h => h.Namespace + "/" + h.Name).ToList();
            foreach (var endpoint in endpoints)
            {
                var plan = HostEndpointCases.Plan(snapshot, endpoint);
                var engine = new FakeWfpEngine();
                var hardEngine = new FakeWfpEngine();
                using var backend = new WfpFirewallBackend(new WfpOptions(), () => engine, null);
                using var hard = new WfpFirewallBackend(new WfpOptions { HardPermit = true, SublayerWeight = 0xFFFF }, () => hardEngine, null);
                await backend.ApplyAsync(plan, cancellationToken: TestContext.Current.CancellationToken);
                await hard.ApplyAsync(plan, cancellationToken: TestContext.Current.CancellationToken);
                var alone = new WfpArbitrationModel([new("netpolhost", 0x8000, engine.Filters.Values.Select(f => f.Filter).ToList())]);
                var withPermits = new WfpArbitrationModel([new("netpolhost", 0x8000, engine.Filters.Values.Select(f => f.Filter).ToList()), Foreign(0x9000, WfpAction.Permit), Foreign(0x1000, WfpAction.Permit)]);
                var hardOverBlock = new WfpArbitrationModel([new("netpolhost", 0xFFFF, hardEngine.Filters.Values.Select(f => f.Filter).ToList()), Foreign(0x1000, WfpAction.Block)]);
                var planned = plan.Endpoints.SingleOrDefault(e => e.Name == endpoint);
                var self = FlowEndpoint.ForHostEndpoint(endpoint.Split('/')[0], endpoint.Split('/')[1]);
                foreach (var peer in endpoints.Where(e => e != endpoint))
                {
                    var other = FlowEndpoint.ForHostEndpoint(peer.Split('/')[0], peer.Split('/')[1]);
                    foreach (var (port, protocol) in s_probes)
                    {
                        foreach (var direction in new[] { Direction.Ingress, Direction.Egress })
                        {
                            var inbound = direction == Direction.Ingress;
                            var verdict = matcher.Decide(inbound ? new Flow(other, self, port, protocol) : new Flow(self, other, port, protocol));
                            var expected = (inbound ? verdict.Ingress : verdict.Egress).Allowed;
                            var (localPort, remotePort) = inbound ? (port, EphemeralPort) : (EphemeralPort, port);
                            var layer = inbound ? WfpLayer.RecvAcceptV4 : WfpLayer.ConnectV4;
                            var (local, remote) = (RandomCluster.PodIPs[endpoint], RandomCluster.PodIPs[peer]);
                            var failures = new List<string>();
                            if (alone.Permits(layer, local, remote, (int)protocol, localPort, remotePort) != expected)
                            {
                                failures.Add("our sublayer alone");
                            }

                            if (withPermits.Permits(layer, local, remote, (int)protocol, localPort, remotePort) != expected)
                            {
                                failures.Add("with permit-all sublayers");
                            }

                            if (planned is not null && planned.For(direction).Isolated && hardOverBlock.Permits(layer, local, remote, (int)protocol, localPort, remotePort) != expected)
                            {
                                failures.Add("hard permit over a block-all sublayer");
                            }

                            foreach (var failure in failures)
                            {
                                mismatches.Add($"seed {seed}: {(inbound ? peer + " -> " + endpoint : endpoint + " -> " + peer)} {port}/{protocol} {direction}: matcher {expected}, {failure} differs\n{plan.Describe()}");
                            }

                            compared++;
                            tiered += (inbound ? verdict.Ingress : verdict.Egress).Tier is DecisionTier.Admin or DecisionTier.Baseline ? 1 : 0;
                        }
                    }
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{compared} verdicts compared, {tiered} decided by a tier");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(5)));
        Assert.True(tiered > compared / 10, $"only {tiered} of {compared} verdicts decided by a tier");
    }

    /// <summary>The contract suite's tiered plan: the isolated host endpoint's ingress meets an Admin Pass of TCP 22 from
    /// 10.70.0.9 and an Admin Deny of 10.70.0.0/24, then the NetworkPolicy's TCP 80 from 10.0.0.1. Permits per class above
    /// the endpoint's block; other protocols by ranges of protocol numbers around TCP, UDP and SCTP, encoded as
    /// <c>FWP_MATCH_RANGE</c> of <c>FWP_UINT8</c>.</summary>
    [Fact]
    public void Translate_TieredPlan_PermitsPerClassAboveTheBlock()
    {
        var translation = WfpFilterTranslator.Translate(BackendContractSuite.TieredPlan, new WfpOptions());
        var inbound = translation.Filters.Where(f => f.Layer == WfpLayer.RecvAcceptV4).ToList();
        var model = new WfpArbitrationModel([new("netpolhost", 0x8000, inbound)]);
        var host = IPAddress.Parse("192.168.1.10");
        bool Permits(string peer, int protocol, int port) => model.Permits(WfpLayer.RecvAcceptV4, host, IPAddress.Parse(peer), protocol, port, EphemeralPort);

        Assert.False(Permits("10.70.0.9", 6, 22));
        Assert.True(Permits("10.0.0.1", 6, 80));
        Assert.False(Permits("10.70.0.1", 6, 80));
        Assert.False(Permits("10.0.0.1", 1, 0));
        Assert.True(Permits("192.168.1.10", 1, 0), "the host's own addresses");
        Assert.Single(inbound, f => f.Action == WfpAction.Block);
        var other = inbound.Single(f => f.Description.StartsWith("permit protocols without ports", StringComparison.Ordinal));
        Assert.Equal(["0-5", "7-16", "18-131", "133-255"], other.Conditions.Where(c => c.Field == WfpField.Protocol).Select(WfpFilterTranslator.FormatValue));
        Assert.Equal(("FWP_MATCH_RANGE", "FWP_RANGE_TYPE"), FwpEncoding.Describe(other.Conditions.First(c => c.Field == WfpField.Protocol)));
        Assert.Equal(("FWP_MATCH_EQUAL", "FWP_UINT8"), FwpEncoding.Describe(new WfpCondition(WfpField.Protocol, 6, 6)));
    }

    /// <summary>Not isolated: only blocks of what the tiers deny, nothing permitted (the rest is left to the host).</summary>
    [Fact]
    public void Translate_TierWithoutIsolation_OnlyBlocksWhatItDenies()
    {
        var plan = BackendContractSuite.TieredPlan;
        var endpoint = plan.Endpoints[0];
        var open = plan with { Endpoints = [endpoint with { Ingress = DirectionPlan.Open with { Admin = endpoint.Ingress.Admin } }] };
        var filters = WfpFilterTranslator.Translate(open, new WfpOptions()).Filters;
        Assert.All(filters, f => Assert.Equal(WfpAction.Block, f.Action));
        var model = new WfpArbitrationModel([new("netpolhost", 0x8000, [.. filters])]);
        var host = IPAddress.Parse("192.168.1.10");
        Assert.True(model.Permits(WfpLayer.RecvAcceptV4, host, IPAddress.Parse("10.70.0.9"), 6, 22, EphemeralPort), "passed on to a NetworkPolicy stage that does not isolate: allowed");
        Assert.False(model.Permits(WfpLayer.RecvAcceptV4, host, IPAddress.Parse("10.70.0.9"), 6, 23, EphemeralPort));
        Assert.False(model.Permits(WfpLayer.RecvAcceptV4, host, IPAddress.Parse("10.70.0.9"), 1, 0, 0));
        Assert.True(model.Permits(WfpLayer.RecvAcceptV4, host, IPAddress.Parse("10.0.0.1"), 1, 0, 0));
    }

    private static WfpArbitrationModel.Sublayer Foreign(ushort weight, WfpAction action) =>
        new("foreign", weight, WfpConstants.Layers.Select(layer => new WfpFilter
        {
            Key = Guid.NewGuid(),
            Name = "foreign",
            Description = "foreign",
            Layer = layer,
            Action = action,
            Weight = 1,
            Flags = 0,
            Conditions = [],
        }).ToList());
}
