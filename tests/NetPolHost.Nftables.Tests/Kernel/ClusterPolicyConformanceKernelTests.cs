using System.Net;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>The upstream ClusterNetworkPolicy conformance suite (network-policy-api v0.2.0, as transcribed in
/// tests/data/cnp-conformance), step by step, enforced by the nftables backends of two nodes and probed with real TCP
/// and UDP connections between network namespaces: egress on the client's node, ingress on the server's, the
/// hostNetwork servers being the nodes themselves. This kernel has no SCTP sockets: SCTP probes are decided by the
/// compiled plans (<see cref="RulePlan.Evaluate(IPAddress, IPAddress, Protocol, int, IReadOnlySet{IPAddress})"/>), whose
/// port elements the rendered tables are checked to hold.</summary>
[Trait("Category", "Integration")]
public sealed class ClusterPolicyConformanceKernelTests(ClusterPolicyLabFixture fixture) : IClassFixture<ClusterPolicyLabFixture>
{
    /// <summary>Why the suite cannot be replayed yet, or null.</summary>
    private static string? DataSkipReason =>
        CnpConformance.Steps.All(s => s.Snapshot.ClusterPolicies.IsEmpty)
            ? "the manifest loader does not read ClusterNetworkPolicy objects yet: the transcribed suite has no policies to enforce"
            : null;

    public static TheoryData<int> Steps()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < CnpConformance.Steps.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Fact]
    public void TheSuite_ProbesTcpAndUdpInTheKernel_AndSctpOnThePlans()
    {
        var probes = CnpConformance.Steps.SelectMany(s => s.Probes).ToList();
        var byProtocol = probes.GroupBy(p => p.Protocol).ToDictionary(g => g.Key, g => g.Count());

        // Every probe of the suite is replayed: TCP and UDP ones with real connections, SCTP ones on the plans.
        Assert.Equal(301, probes.Count);
        Assert.Equal(116, byProtocol[Protocol.Tcp]);
        Assert.Equal(95, byProtocol[Protocol.Udp]);
        Assert.Equal(90, byProtocol[Protocol.Sctp]);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task Kernel_AgreesWithUpstreamExpectations(int index)
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        Assert.SkipWhen(DataSkipReason is not null, DataSkipReason ?? string.Empty);
        var token = TestContext.Current.CancellationToken;
        var step = CnpConformance.Steps[index];
        var plans = new Dictionary<string, RulePlan>(StringComparer.Ordinal);
        foreach (var (node, backend) in fixture.Backends)
        {
            plans[node] = RulePlanCompiler.Compile(step.Snapshot, new RulePlanOptions { NodeName = node });
            await backend.ApplyAsync(plans[node], cancellationToken: token);
            var status = await backend.GetStatusAsync(plans[node], token);
            Assert.True(status.Drift.Count == 0, $"{node}: drift " + string.Join("; ", status.Drift));
        }

        var mismatches = new List<string>();
        var kernel = new List<(CnpProbe Probe, Task<bool> Result)>();
        foreach (var probe in step.Probes)
        {
            var from = NodeOf(step.Snapshot, probe.From);
            var to = NodeOf(step.Snapshot, probe.To);
            var source = step.Snapshot.FindPod(probe.From.Split('/')[0], probe.From.Split('/')[1])!.IPs[0];
            var destination = IPAddress.Parse(probe.Address);
            var planned = Planned(plans, source, from, destination, to, probe.Protocol, probe.Port);
            if (planned.Allowed != probe.Expected)
            {
                mismatches.Add($"{probe}: the plans say {(planned.Allowed ? "allowed" : "denied")} ({planned.Reason})");
            }

            if (probe.Protocol == Protocol.Sctp)
            {
                // The kernel accepted the rendered SCTP port elements above; check the plan's SCTP ports are among them.
                foreach (var plan in plans.Values)
                {
                    var script = fixture.Backends[plan.NodeName].RenderNative(plan);
                    foreach (var range in plan.Rules.SelectMany(r => r.Ports.Ranges).Where(r => r.Protocol == Protocol.Sctp))
                    {
                        Assert.Contains(range.First == range.Last ? $"sctp . {range.First}" : $"sctp . {range.First}-{range.Last}", script, StringComparison.Ordinal);
                    }
                }

                continue;
            }

            kernel.Add((probe, fixture.ProbeAsync(probe.From, destination, probe.Port, probe.Protocol, probe.Expected)));
        }

        foreach (var (probe, result) in kernel)
        {
            var allowed = await result;
            if (allowed != probe.Expected)
            {
                mismatches.Add($"{probe}: the kernel {(allowed ? "allowed" : "denied")} it");
            }
        }

        Assert.True(mismatches.Count == 0, $"{step}:\n{string.Join("\n", mismatches)}\n{string.Join("\n", plans.Values.Select(p => p.Describe()))}");
    }

    private static string NodeOf(ClusterSnapshot snapshot, string pod) =>
        snapshot.FindPod(pod.Split('/')[0], pod.Split('/')[1])?.NodeName ?? throw new InvalidOperationException(pod + " has no node");

    /// <summary>What the two nodes' plans decide: one plan when both ends are on one node, else the source node's
    /// (egress) and then the destination node's (ingress).</summary>
    internal static PlanDecision Planned(IReadOnlyDictionary<string, RulePlan> plans, IPAddress source, string fromNode, IPAddress destination, string toNode, Protocol protocol, int port)
    {
        var first = plans[fromNode].Evaluate(source, destination, protocol, port, ClusterPolicyLabFixture.HostAddresses(fromNode));
        if (fromNode == toNode || !first.Allowed)
        {
            return first;
        }

        return plans[toNode].Evaluate(source, destination, protocol, port, ClusterPolicyLabFixture.HostAddresses(toNode));
    }
}
