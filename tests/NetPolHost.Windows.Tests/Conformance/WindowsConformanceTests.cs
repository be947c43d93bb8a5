using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;
using NetPolHost.Wfp;
using NetPolHost.Wfp.Filters;
using NetPolHost.Windows.Tests.Fakes;
using NetPolHost.WindowsFirewall;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.Windows.Tests.Conformance;

/// <summary>
/// For every upstream e2e case, with the pods turned into host endpoints: each endpoint's plan is applied through the
/// backend to a fake store or engine, the state read back is run through a model of Windows Firewall precedence or WFP
/// arbitration, and the verdict for traffic into and out of the endpoint, from and to every other endpoint on every
/// probed port, must equal the matcher's ingress or egress verdict. Plans whose policies use SCTP ports are refused by
/// both backends; the test checks the refusal instead.
/// </summary>
public sealed class WindowsConformanceTests
{
    private const int EphemeralPort = 50000;

    public static TheoryData<string> Cases => new(ConformanceData.CaseIds());

    [Fact]
    public void Data_HasAll58Cases() => Assert.Equal(58, ConformanceData.Cases.Count);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task WindowsFirewall_AgreesWithMatcher(string id)
    {
        var testCase = ConformanceData.Get(id);
        var snapshot = HostEndpointCases.Convert(testCase);
        var matcher = new PolicyMatcher(snapshot);
        var mismatches = new List<string>();
        foreach (var endpoint in Endpoints(testCase))
        {
            var plan = HostEndpointCases.Plan(snapshot, endpoint);
            var store = new FakeFirewallRuleStore();
            using var backend = new WindowsFirewallBackend(new WindowsFirewallOptions(), () => store, null);
            if (await RefusedForSctpAsync(() => backend.ApplyAsync(plan, cancellationToken: TestContext.Current.CancellationToken), testCase))
            {
                continue;
            }

            var ours = store.Rules;
            var foreignAllowAll = new[]
            {
                new FirewallRule { Name = "foreign-in", Grouping = "other", Direction = FirewallDirection.Inbound, Action = FirewallAction.Allow },
                new FirewallRule { Name = "foreign-out", Grouping = "other", Direction = FirewallDirection.Outbound, Action = FirewallAction.Allow },
            };
            var open = new WindowsFirewallModel(ours, true, true);
            var permissive = new WindowsFirewallModel(ours.Concat(foreignAllowAll), false, false);
            var closed = new WindowsFirewallModel(ours, false, false);
            var planned = plan.Endpoints.SingleOrDefault(e => e.Name == endpoint);
            Compare(testCase, matcher, endpoint, mismatches, (direction, peer, port, protocol, expected) =>
            {
                var (localPort, remotePort) = direction == Direction.Ingress ? (port, EphemeralPort) : (EphemeralPort, port);
                var fw = direction == Direction.Ingress ? FirewallDirection.Inbound : FirewallDirection.Outbound;
                var local = HostEndpointCases.Address(endpoint);
                var remote = HostEndpointCases.Address(peer);
                var results = new List<string>();
                if (open.Allows(fw, local, remote, (int)protocol, localPort, remotePort) != expected)
                {
                    results.Add("open host");
                }

                if (permissive.Allows(fw, local, remote, (int)protocol, localPort, remotePort) != expected)
                {
                    results.Add("host with allow-all rules");
                }

                if (planned is not null && planned.For(direction).Isolated && closed.Allows(fw, local, remote, (int)protocol, localPort, remotePort) != expected)
                {
                    results.Add("host with default block");
                }

                return results;
            });
        }

        Assert.Empty(mismatches);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Wfp_AgreesWithMatcher(string id)
    {
        var testCase = ConformanceData.Get(id);
        var snapshot = HostEndpointCases.Convert(testCase);
        var matcher = new PolicyMatcher(snapshot);
        var mismatches = new List<string>();
        foreach (var endpoint in Endpoints(testCase))
        {
            var plan = HostEndpointCases.Plan(snapshot, endpoint);
            var engine = new FakeWfpEngine();
            var hardEngine = new FakeWfpEngine();
            using var backend = new WfpFirewallBackend(new WfpOptions(), () => engine, null);
            using var hard = new WfpFirewallBackend(new WfpOptions { HardPermit = true, SublayerWeight = 0xFFFF }, () => hardEngine, null);
            if (await RefusedForSctpAsync(() => backend.ApplyAsync(plan, cancellationToken: TestContext.Current.CancellationToken), testCase))
            {
                continue;
            }

            await hard.ApplyAsync(plan, cancellationToken: TestContext.Current.CancellationToken);
            var ours = new WfpArbitrationModel.Sublayer("netpolhost", 0x8000, engine.Filters.Values.Select(f => f.Filter).ToList());
            var oursHard = new WfpArbitrationModel.Sublayer("netpolhost", 0xFFFF, hardEngine.Filters.Values.Select(f => f.Filter).ToList());
            var alone = new WfpArbitrationModel([ours]);
            var withPermits = new WfpArbitrationModel([ours, ForeignSublayer(0x9000, WfpAction.Permit), ForeignSublayer(0x1000, WfpAction.Permit)]);
            var hardOverBlock = new WfpArbitrationModel([oursHard, ForeignSublayer(0x1000, WfpAction.Block)]);
            var planned = plan.Endpoints.SingleOrDefault(e => e.Name == endpoint);
            Compare(testCase, matcher, endpoint, mismatches, (direction, peer, port, protocol, expected) =>
            {
                var (localPort, remotePort) = direction == Direction.Ingress ? (port, EphemeralPort) : (EphemeralPort, port);
                var layer = direction == Direction.Ingress ? WfpLayer.RecvAcceptV4 : WfpLayer.ConnectV4;
                var local = HostEndpointCases.Address(endpoint);
                var remote = HostEndpointCases.Address(peer);
                var results = new List<string>();
                if (alone.Permits(layer, local, remote, (int)protocol, localPort, remotePort) != expected)
                {
                    results.Add("our sublayer alone");
                }

                if (withPermits.Permits(layer, local, remote, (int)protocol, localPort, remotePort) != expected)
                {
                    results.Add("with permit-all sublayers above and below");
                }

                if (planned is not null && planned.For(direction).Isolated && hardOverBlock.Permits(layer, local, remote, (int)protocol, localPort, remotePort) != expected)
                {
                    results.Add("hard permit over a lower block-all sublayer");
                }

                return results;
            });
        }

        Assert.Empty(mismatches);
    }

    private static IEnumerable<string> Endpoints(ConformanceCase testCase) =>
        testCase.Probes.SelectMany(p => p.Order).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

    private static WfpArbitrationModel.Sublayer ForeignSublayer(ushort weight, WfpAction action) =>
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

    /// <summary>Runs an apply; when the backend refuses SCTP ports, checks that the case's policies do use them.</summary>
    private static async Task<bool> RefusedForSctpAsync(Func<Task> apply, ConformanceCase testCase)
    {
        try
        {
            await apply();
            return false;
        }
        catch (UnsupportedPolicyFeatureException ex)
        {
            Assert.StartsWith("SCTP ports", ex.Feature, StringComparison.Ordinal);
            Assert.Contains("\"SCTP\"", testCase.PolicyJson, StringComparison.Ordinal);
            return true;
        }
    }

    private delegate List<string> Check(Direction direction, string peer, int port, Protocol protocol, bool expected);

    private static void Compare(ConformanceCase testCase, PolicyMatcher matcher, string endpoint, List<string> mismatches, Check check)
    {
        var self = FlowEndpoint.ForHostEndpoint(endpoint.Split('/')[0], endpoint.Split('/')[1]);
        foreach (var probe in testCase.Probes)
        {
            foreach (var peer in probe.Order.Where(p => p != endpoint))
            {
                var other = FlowEndpoint.ForHostEndpoint(peer.Split('/')[0], peer.Split('/')[1]);
                var ingress = matcher.Decide(new Flow(other, self, probe.Port, probe.Protocol)).Ingress.Allowed;
                foreach (var failure in check(Direction.Ingress, peer, probe.Port, probe.Protocol, ingress))
                {
                    mismatches.Add($"{peer} -> {endpoint} {probe.Port}/{probe.Protocol} ingress: matcher {ingress}, {failure} differs");
                }

                var egress = matcher.Decide(new Flow(self, other, probe.Port, probe.Protocol)).Egress.Allowed;
                foreach (var failure in check(Direction.Egress, peer, probe.Port, probe.Protocol, egress))
                {
                    mismatches.Add($"{endpoint} -> {peer} {probe.Port}/{probe.Protocol} egress: matcher {egress}, {failure} differs");
                }
            }
        }
    }
}
